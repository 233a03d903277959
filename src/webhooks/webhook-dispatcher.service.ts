import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { WEBHOOK_CHANNEL } from '../../migrations/webhook-events-functions.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { QueueNotifier, RECONNECTED } from '../queue/queue-notifier.js';
import { afterFailure, shouldDeactivate } from './delivery-rules.js';
import { signatureHeader } from './signature.js';
import {
  ClaimedDelivery,
  DeliveryOutcome,
  WebhookDeliveryRepository,
} from './webhook-delivery.repository.js';
import { postWebhook } from './webhook-post.js';

/** Deliveries in flight per process, over all endpoints. */
const MAX_IN_FLIGHT = 64;
/** Idle waits: never busier than this, never longer (NOTIFY wakes it sooner). */
const MIN_WAIT_MS = 250;
const MAX_WAIT_MS = 5000;

/**
 * The webhook delivery loop (WEBHOOKS.md), apart from sending SMS: its own timers, its own
 * HTTP agents, its own LISTEN connection, nothing shared with the token bucket, so a slow or
 * dead receiver costs the SMS path nothing. Deliveries are claimed with a lease (several
 * processes share them; a dead process's claims come back when their lease ends), at most
 * WEBHOOK_CONCURRENCY in flight per endpoint cluster-wide, retried on the backoff schedule.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}:wh`;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private idle?: AbortController;
  private lastPassAt = 0;
  private notifyTimer?: NodeJS.Timeout;
  private loopDone?: Promise<void>;

  constructor(
    private readonly repo: WebhookDeliveryRepository,
    private readonly notifier: QueueNotifier,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.notifier.listen(WEBHOOK_CHANNEL, () => this.notified());
    await this.notifier.listen(RECONNECTED, () => this.wake());
    this.loopDone = this.loop();
  }

  /** Something may be due: cut the current idle wait short. */
  wake(): void {
    this.idle?.abort();
  }

  /**
   * New deliveries were written (a NOTIFY per event-writing statement: at 200 SMS/s with
   * per-SMS events, dozens a second, to every process). Passes are spaced MIN_WAIT_MS apart
   * for them: one pass takes whatever arrived meanwhile, and a receiver whose slots are all
   * in flight no longer costs a claim per NOTIFY in every process (bench/webhooks: the SMS
   * rate fell to 69 % of 200/s beside a hanging receiver). An attempt ending still wakes the
   * loop at once (wake()).
   */
  private notified(): void {
    if (this.notifyTimer) return;
    const wait = this.lastPassAt + MIN_WAIT_MS - this.clock.now();
    if (wait <= 0) return this.wake();
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.wake();
    }, wait);
  }

  private get leaseMs() {
    return this.config.webhookTimeoutMs + 5000;
  }

  private async loop(): Promise<void> {
    while (!this.stop.signal.aborted) {
      // Armed before the claim: an attempt that ends (or a NOTIFY) while this pass reads the
      // table cuts the coming wait short. Armed after, that wake was lost and the loop slept
      // on a stale due time (up to MAX_WAIT_MS per retry: the retry test's slow runs).
      this.idle = new AbortController();
      this.lastPassAt = this.clock.now();
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      let waitMs = MAX_WAIT_MS;
      try {
        if (free > 0) {
          claimed = await this.repo.claim(
            this.owner,
            this.leaseMs,
            this.config.webhookConcurrency,
            free,
          );
        }
        for (const d of claimed) this.track(this.deliver(d));
        if (free > 0 && claimed.length === free) continue;
        waitMs = (await this.repo.msUntilNextDue(this.config.webhookConcurrency)) ?? MAX_WAIT_MS;
      } catch (err) {
        this.logger.warn(`webhook claim failed: ${(err as Error).message}`);
      }
      const wait = Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, waitMs));
      await this.clock
        .sleep(wait, AbortSignal.any([this.idle.signal, this.stop.signal]))
        .catch(() => undefined);
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => {
      this.inFlight.delete(tracked);
      this.wake();
    });
    this.inFlight.add(tracked);
  }

  /** One attempt of one delivery, and its outcome written. Never throws. */
  async deliver(d: ClaimedDelivery): Promise<void> {
    const t = Math.floor(this.clock.now() / 1000);
    const attempt = await postWebhook({
      url: d.url,
      headers: {
        'content-type': 'application/json',
        'user-agent': `smspanel-webhooks/${this.config.version}`,
        'smspanel-event-id': d.eventId,
        'smspanel-event-type': d.eventType,
        'smspanel-signature': signatureHeader(d.secret, d.body, t),
      },
      body: d.body,
      timeoutMs: this.config.webhookTimeoutMs,
      allowPrivate: this.config.webhookAllowPrivate,
    });
    const now = this.clock.now();
    let outcome: DeliveryOutcome;
    if (attempt.ok) {
      outcome = { kind: 'delivered', statusCode: attempt.status!, at: new Date(now) };
    } else {
      const next = afterFailure(d.attempts, now, d.expiresAt, this.config.webhookRetryBaseMs);
      const error = attempt.error ?? 'failed';
      outcome = {
        kind: next.status === 'failed' ? 'failed' : 'retry',
        statusCode: attempt.status,
        error,
        at: new Date(now),
        nextAttemptAt: next.status === 'pending' ? new Date(next.nextAttemptAt) : undefined,
        deactivate: shouldDeactivate(d.failingSince, now)
          ? `Every delivery failed for 24 hours (last: ${error})`.slice(0, 500)
          : undefined,
      };
      if (outcome.deactivate) {
        this.logger.warn(`webhook endpoint ${d.endpointId} deactivated: ${outcome.deactivate}`);
      }
    }
    await this.repo
      .record(this.owner, d.id, outcome)
      .catch((err: Error) =>
        this.logger.warn(`recording webhook delivery ${d.id} failed: ${err.message}`),
      );
  }

  /**
   * SIGTERM: stop claiming, give deliveries in flight the shutdown grace period, then hand
   * back whatever is still claimed (another process sends it at once; the receiver dedupes).
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.notifyTimer);
    if (!this.loopDone) return;
    this.stop.abort();
    await this.loopDone;
    const done = new AbortController();
    await Promise.race([
      Promise.all(this.inFlight),
      this.clock.sleep(this.config.shutdownGraceMs, done.signal).catch(() => undefined),
    ]);
    done.abort();
    await this.repo.release(this.owner).catch(() => undefined);
  }
}
