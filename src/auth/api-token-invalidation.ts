import { Injectable, OnModuleInit } from '@nestjs/common';
import { USER_CHANGED_CHANNEL } from '../../migrations/1764300002200-UserChangeNotify.js';
import { LOST, QueueNotifier, RECONNECTED } from '../queue/queue-notifier.js';
import { ApiTokenCache } from '../users/api-token-cache.js';

/**
 * Tells the ApiTokenCache of changes to users made anywhere (other processes, SQL by hand):
 * the users trigger notifies each one. The cache is live only while that connection is.
 */
@Injectable()
export class ApiTokenInvalidation implements OnModuleInit {
  constructor(
    private readonly cache: ApiTokenCache,
    private readonly notifier: QueueNotifier,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.notifier.listen(LOST, () => this.cache.setLive(false));
    await this.notifier.listen(RECONNECTED, () => this.cache.setLive(true));
    await this.notifier.listen(USER_CHANGED_CHANNEL, (id) =>
      id ? this.cache.forget(Number(id)) : this.cache.clear(),
    );
    // A connection opened earlier by another listener announced itself before we listened.
    if (this.notifier.connected) this.cache.setLive(true);
  }
}
