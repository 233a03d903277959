import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SMS_GATEWAY, type SmsGateway } from '../gateway/sms-gateway.js';
import { QUEUED_CHANNEL } from '../messages/messages.repository.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { QUEUE_CONTROL_CHANNEL } from '../queue-control/queue-control.repository.js';
import { QueueNotifier } from './queue-notifier.js';
import { ClaimedRecipient, QueueRepository } from './queue.repository.js';
import { ResultRecorder } from './result-recorder.js';
import { RecipientSender } from './recipient-sender.js';

const ERROR_BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
/** A claim covers the tokens in hand plus what accrues while it is being sent. */
const CLAIM_HORIZON_S = 0.05;
/**
 * Larger claims are planned as a bitmap scan of every pending row plus a sort (bench/dispatch:
 * 4 000 rows a claim drained at 40k SMS/s, 2 000 at 63k/s); a higher QUEUE_CONCURRENCY is
 * filled by several claims.
 */
const MAX_CLAIM = 2000;

interface ClaimedBatch {
  rows: ClaimedRecipient[];
  claimedAt: number;
  /** The pause count when the claim was made. */
  pausesBefore: number;
}

/**
 * Sends the queue: waits for work, takes tokens from the shared bucket, claims that many
 * recipients, sends them with at most QUEUE_CONCURRENCY requests in flight and records the
 * results. Every gateway request is paid for with one token before it is made.
 */
@Injectable()
export class QueueWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger = new Logger('QueueWorker');
  private readonly stop = new AbortController();
  /** Aborted only when in-flight sends outlive the shutdown grace period. */
  private readonly hardStop = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly recorder: ResultRecorder;
  private wakeUp?: () => void;
  private readonly sender: RecipientSender;
  /** The bucket's rate as last seen; sizes claims. Starts from the configured value. */
  private rate: number;
  /** Tokens the bucket held after our last take. */
  private tokensHint: number;
  /**
   * After a 429 this process sends nothing before this time, at once; the other processes
   * learn it from the drained shared bucket a database round trip later.
   */
  private holdUntil = 0;
  /** Claimed, unsent recipients whose release failed (database away); retried each turn. */
  private unreleased: string[] = [];
  /** The next batch, claimed while the one before it was being sent (see claimAndSend). */
  private ahead?: Promise<ClaimedBatch>;
  /**
   * Pause notifications seen. A batch claimed before one is not sent on (API.md: paused,
   * nothing new is sent); counting, not a flag, so a missed resume cannot stall the worker.
   */
  private pauses = 0;
  private loopDone?: Promise<void>;

  constructor(
    private readonly repo: QueueRepository,
    private readonly limiter: RateLimiterService,
    private readonly notifier: QueueNotifier,
    @Inject(SMS_GATEWAY) private readonly gateway: SmsGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    metrics: MetricsService,
  ) {
    this.sender = new RecipientSender(gateway, metrics, {
      maxAttempts: config.smsMaxAttempts,
      baseMs: config.smsRetryBaseMs,
      maxMs: config.smsRetryMaxMs,
    });
    this.rate = config.smsRatePerSec;
    this.tokensHint = config.smsBurstCapacity;
    this.recorder = new ResultRecorder(repo, this.workerId, (ms) => clock.sleep(ms));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifier.listen(QUEUED_CHANNEL, () => this.wake());
    await this.notifier.listen(QUEUE_CONTROL_CHANNEL, (paused) => {
      if (paused === 'true') this.pauses++;
      this.wake();
    });
    await this.notifier.listen('__reconnected', () => this.wake());
    this.loopDone = this.loop();
    this.logger.log(
      `worker ${this.workerId} started (concurrency ${this.config.queueConcurrency}, gateway ${this.gateway.name})`,
    );
  }

  /** Something may be waiting: cut the current idle wait short. */
  wake(): void {
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    let idle = false;
    let errors = 0;
    while (!this.stop.signal.aborted) {
      try {
        if (this.unreleased.length) await this.releaseUnsent([]);
        if (idle) await this.idleWait();
        const held = this.holdUntil - this.clock.now();
        if (held > 0) await this.clock.sleep(held, this.stop.signal);
        if (this.inFlight.size >= this.config.queueConcurrency) {
          await Promise.race(this.inFlight);
          continue;
        }
        // Paused, the claim finds nothing, in every process; in-flight sends still finish.
        idle = !(await this.claimAndSend(this.config.queueConcurrency - this.inFlight.size));
        errors = 0;
      } catch (err) {
        if (this.stop.signal.aborted) break;
        const wait = ERROR_BACKOFF_MS[Math.min(errors++, ERROR_BACKOFF_MS.length - 1)];
        this.logger.warn(`queue loop error (${(err as Error).message}); retrying in ${wait} ms`);
        // A NOTIFY (e.g. the LISTEN connection coming back with the database) ends it early.
        await this.nap(wait);
      }
    }
  }

  /**
   * Claims a batch, then pays for each SMS with a token right before sending it: the time
   * from token to gateway is then only the request itself, so the gateway sees the bucket's
   * own spacing. The batch is sized to the tokens at hand; what cannot be sent while the lease
   * is safely ours, or after a pause or a stop, is handed back (requests already made finish).
   * False when there was no work.
   */
  private async claimAndSend(free: number): Promise<boolean> {
    const leaseMs = this.config.queueLeaseMs;
    const size = Math.max(1, Math.min(free, MAX_CLAIM, this.claimLimit()));
    const {
      rows: claimed,
      claimedAt,
      pausesBefore,
    } = await (this.takeAhead() ?? this.claimNow(size));
    if (claimed.length === 0) return false;
    const mustSendBy = claimedAt + leaseMs / 2;
    // A full batch that only the free slots limited: the backlog is deep, so (see below) the
    // next batch may be claimed while this one is sent.
    const fullBatch = claimed.length >= size && size === Math.min(free, MAX_CLAIM);
    let sent = 0;
    try {
      while (
        sent < claimed.length &&
        !this.stop.signal.aborted &&
        this.pauses === pausesBefore &&
        this.clock.now() < mustSendBy &&
        this.clock.now() >= this.holdUntil
      ) {
        // A batch claimed ahead may find the slots still taken by the one before it.
        const room = this.config.queueConcurrency - this.inFlight.size;
        if (room <= 0) {
          await Promise.race(this.inFlight);
          continue;
        }
        const take = await this.limiter.acquireBatch(Math.min(room, claimed.length - sent), {
          signal: this.stop.signal,
          // A request may reach the gateway later after its token than the one before it
          // (2-3 ms usually, up to ~65 ms for a process's first requests under load): leaving
          // that much refill behind keeps the gateway's view within burst + rate × t.
          keepMs: this.config.rateLimitJitterMs,
        });
        this.rate = take.settings.msgsPerSec;
        this.tokensHint = take.tokens;
        // A 429 answered while we waited: these tokens go unused, like the drained bucket's.
        if (this.clock.now() < this.holdUntil) break;
        // The bucket paid for the whole full batch at once and could pay for a bigger one: the
        // rate does not limit this worker (a deep backlog at a high rate), so the next batch is
        // claimed now, and the database works on it while this one is sent, instead of after.
        if (
          fullBatch &&
          take.granted === claimed.length &&
          size < this.claimLimit() &&
          !this.ahead &&
          !this.stop.signal.aborted
        ) {
          this.ahead = this.claimNow(size);
          // Its failure surfaces when it is taken, in the loop's error handling.
          this.ahead.catch(() => undefined);
        }
        for (const r of claimed.slice(sent, sent + take.granted)) this.dispatch(r);
        sent += take.granted;
      }
    } finally {
      await this.releaseUnsent(claimed.slice(sent).map((r) => r.id));
    }
    return true;
  }

  /**
   * The most worth claiming at once: what the bucket can pay for about now (claimed SMS
   * waiting for tokens would hold their leases idle, and count as in flight in the
   * estimates), and what can be sent well within the lease.
   */
  private claimLimit(): number {
    const affordable = Math.floor(this.tokensHint + this.rate * CLAIM_HORIZON_S) + 1;
    const leaseCap = Math.floor((this.rate * this.config.queueLeaseMs) / 4000);
    return Math.min(affordable, leaseCap);
  }

  private async claimNow(size: number): Promise<ClaimedBatch> {
    const claimedAt = this.clock.now();
    const pausesBefore = this.pauses;
    const rows = await this.repo.claim(this.workerId, size, this.config.queueLeaseMs);
    return { rows, claimedAt, pausesBefore };
  }

  /** The batch claimed ahead, if any; it is then no longer ahead. */
  private takeAhead(): Promise<ClaimedBatch> | undefined {
    const ahead = this.ahead;
    this.ahead = undefined;
    return ahead;
  }

  /**
   * Hands claimed but unsent recipients back. If the database is away they are remembered
   * and handed back on the next turn, rather than waiting out their lease.
   */
  private async releaseUnsent(ids: string[]): Promise<void> {
    const all = [...this.unreleased, ...ids];
    if (all.length === 0) return;
    try {
      await this.repo.release(this.workerId, all);
      this.unreleased = [];
    } catch (err) {
      this.unreleased = all;
      throw err;
    }
  }

  private dispatch(r: ClaimedRecipient): void {
    const p: Promise<void> = this.send(r).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Until NOTIFY, the next retry falls due, the poll interval passes, or shutdown. */
  private async idleWait(): Promise<void> {
    // Without an answer (database away) this is just a poll interval.
    const nextDue = await this.repo.msUntilNextDue().catch(() => null);
    await this.nap(Math.min(this.config.queuePollMs, nextDue ?? Infinity));
  }

  /** Sleeps `ms`, cut short by wake() or shutdown. */
  private async nap(ms: number): Promise<void> {
    if (ms <= 0) return;
    const timer = new AbortController();
    const woken = new Promise<void>((resolve) => (this.wakeUp = resolve));
    const slept = this.clock
      .sleep(ms, AbortSignal.any([this.stop.signal, timer.signal]))
      .catch(() => undefined);
    await Promise.race([woken, slept]);
    timer.abort();
    this.wakeUp = undefined;
  }

  private async send(r: ClaimedRecipient): Promise<void> {
    const { result, holdOffMs } = await this.sender.send(r, this.hardStop.signal);
    if (holdOffMs !== undefined) {
      // 429: the gateway throttles all our traffic: this process stops at once, the others
      // when they find the shared bucket drained.
      const until = this.clock.now() + holdOffMs;
      this.holdUntil = Math.max(this.holdUntil, until);
      await this.limiter.drain(until).catch(() => undefined);
    }
    this.recorder.add(result);
  }

  /**
   * SIGTERM: stop claiming, let in-flight sends finish within the grace period (then abort
   * them), write every result, and hand unstarted leases back so another process takes
   * them at once. Runs before the database connections close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.loopDone) return;
    this.stop.abort();
    this.wake();
    await this.loopDone;
    const graceOver = new AbortController();
    const grace = this.clock.sleep(this.config.shutdownGraceMs, graceOver.signal).then(
      () => 'timeout' as const,
      () => 'drained' as const,
    );
    const outcome = await Promise.race([Promise.all(this.inFlight), grace]);
    graceOver.abort();
    if (outcome === 'timeout') {
      this.logger.warn(
        `aborting ${this.inFlight.size} send(s) still in flight after the grace period`,
      );
      this.hardStop.abort();
      await Promise.all(this.inFlight);
    }
    await this.recorder.flush();
    // A claim made ahead must have landed before the release, or its leases would outlive us.
    await this.takeAhead()?.catch(() => undefined);
    const released = await this.repo.release(this.workerId).catch(() => 0);
    this.logger.log(`worker ${this.workerId} stopped; ${released} lease(s) released`);
  }
}
