import { CreateUsers1764300000000 } from './1764300000000-CreateUsers.js';
import { CreateMessages1764300000100 } from './1764300000100-CreateMessages.js';
import { CreateRateLimitBuckets1764300000200 } from './1764300000200-CreateRateLimitBuckets.js';
import { CreateQueueRuntime1764300000300 } from './1764300000300-CreateQueueRuntime.js';
import { CreateIdempotencyKeys1764300000400 } from './1764300000400-CreateIdempotencyKeys.js';
import { DropRecipientsMessageFk1764300000500 } from './1764300000500-DropRecipientsMessageFk.js';
import { DropRecipientsSentAtIndex1764300000600 } from './1764300000600-DropRecipientsSentAtIndex.js';
import { RecipientsKeyedByJobAndOrdinal1764300000700 } from './1764300000700-RecipientsKeyedByJobAndOrdinal.js';
import { CreateRevokedSessions1764300000800 } from './1764300000800-CreateRevokedSessions.js';
import { UserLanesAndWeights1764300000900 } from './1764300000900-UserLanesAndWeights.js';
import { FairShareTags1764300001000 } from './1764300001000-FairShareTags.js';
import { LaneLoads1764300001100 } from './1764300001100-LaneLoads.js';
import { ScheduledJobs1764300001200 } from './1764300001200-ScheduledJobs.js';
import { Validity1764300001300 } from './1764300001300-Validity.js';
import { SendWindows1764300001350 } from './1764300001350-SendWindows.js';
import { StartedLoads1764300001360 } from './1764300001360-StartedLoads.js';
import { Webhooks1764300001400 } from './1764300001400-Webhooks.js';
import { DeliveryReceipts1764300001500 } from './1764300001500-DeliveryReceipts.js';
import { SmsAttempts1764300001600 } from './1764300001600-SmsAttempts.js';
import { Templates1764300001650 } from './1764300001650-Templates.js';
import { PersonalisedRecipients1764300001700 } from './1764300001700-PersonalisedRecipients.js';
import { Suppressions1764300001800 } from './1764300001800-Suppressions.js';
import { WebhookInFlightIndex1764300002000 } from './1764300002000-WebhookInFlightIndex.js';
import { WebhookJobInsertedEvent1764300002100 } from './1764300002100-WebhookJobInsertedEvent.js';
import { UserChangeNotify1764300002200 } from './1764300002200-UserChangeNotify.js';

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
  CreateRevokedSessions1764300000800,
  UserLanesAndWeights1764300000900,
  FairShareTags1764300001000,
  LaneLoads1764300001100,
  ScheduledJobs1764300001200,
  Validity1764300001300,
  SendWindows1764300001350,
  StartedLoads1764300001360,
  Webhooks1764300001400,
  DeliveryReceipts1764300001500,
  SmsAttempts1764300001600,
  Templates1764300001650,
  PersonalisedRecipients1764300001700,
  Suppressions1764300001800,
  WebhookInFlightIndex1764300002000,
  WebhookJobInsertedEvent1764300002100,
  UserChangeNotify1764300002200,
];
