import { CreateUsers1764300000000 } from './1764300000000-CreateUsers.js';
import { CreateMessages1764300000100 } from './1764300000100-CreateMessages.js';
import { CreateRateLimitBuckets1764300000200 } from './1764300000200-CreateRateLimitBuckets.js';
import { CreateQueueRuntime1764300000300 } from './1764300000300-CreateQueueRuntime.js';
import { CreateIdempotencyKeys1764300000400 } from './1764300000400-CreateIdempotencyKeys.js';
import { DropRecipientsMessageFk1764300000500 } from './1764300000500-DropRecipientsMessageFk.js';
import { DropRecipientsSentAtIndex1764300000600 } from './1764300000600-DropRecipientsSentAtIndex.js';
import { RecipientsKeyedByJobAndOrdinal1764300000700 } from './1764300000700-RecipientsKeyedByJobAndOrdinal.js';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the same list works from
 * compiled JavaScript and from TypeScript under the test runner. Add new files here.
 */
export const allMigrations = [
  CreateUsers1764300000000,
  CreateMessages1764300000100,
  CreateRateLimitBuckets1764300000200,
  CreateQueueRuntime1764300000300,
  CreateIdempotencyKeys1764300000400,
  DropRecipientsMessageFk1764300000500,
  DropRecipientsSentAtIndex1764300000600,
  RecipientsKeyedByJobAndOrdinal1764300000700,
];
