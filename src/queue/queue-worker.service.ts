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
import { WakeableSleep } from '../common/wakeable-sleep.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SMS_GATEWAY, type SmsGateway } from '../gateway/sms-gateway.js';
import {
  JOB_CANCELLED_CHANNEL,
  QUEUE_CONTROL_CHANNEL,
  QUEUED_CHANNEL,
} from '../common/channels.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { QueueNotifier, RECONNECTED } from './queue-notifier.js';
import { ClaimedRecipient, QueueRepository } from './queue.repository.js';
import { ResultRecorder } from './result-recorder.js';
import { RecipientSender } from './recipient-sender.js';
import { isOpen, nextClosing } from '../scheduling/send-window.js';
import { TokenCredit } from './token-credit.js';
import { LeaseStamp, WorkerLease } from './worker-lease.js';

const ERROR_BACKOFF_MS = [500, 1000, 2000, 5000, 10000];
/** A claim covers the tokens in hand plus what accrues while it is being sent. */
const CLAIM_HORIZON_S = 0.05;
/** At a low rate a claim is made this long before the next token is due (see the loop). */
const CLAIM_LEAD_MS = 20;
/**
 * Larger claims are planned as a bitmap scan of every pending row plus a sort (bench/dispatch:
 * 4 000 rows a claim drained at 40k SMS/s, 2 000 at 63k/s); a higher QUEUE_CONCURRENCY is
 * filled by several claims.
 */
const MAX_CLAIM = 2000;

/** How long a cancelled job is remembered: longer than any claim is held unsent. */
const CANCEL_MEMORY_MS = 10 * 60_000;

/** Why a claimed SMS is recorded without a request. */
type Unsent = 'cancelled' | 'expired' | 'suppressed';

interface ClaimedBatch {
  rows: ClaimedRecipient[];
  lease: LeaseStamp;
}

/**
 * Sends the queue: waits for work, takes tokens from the shared bucket, claims that many
 * recipients, sends them with at most QUEUE_CONCURRENCY requests in flight and records the
 * results. Every gateway request is paid for before it is made: one token, or with
 * SMS_RATE_UNIT=segment one per segment of its SMS.
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
  private readonly sleeper: WakeableSleep;
  private readonly sender: RecipientSender;
  /** The bucket's rate as last seen; sizes claims. Starts from the configured value. */
  private rate: number;
  /** Tokens the bucket held after our last take. */
  private tokensHint: number;
  /** When, by the last grant, the bucket holds the next SMS's tokens (a local guess). */
  private nextTokenAt = 0;
  /** SMS_RATE_UNIT=segment: an SMS costs one token per segment, paid in full before it goes. */
  private readonly perSegment: boolean;
  /** Tokens an SMS costs, on average over the last batch (always 1 per request). */
  private tokensPerSms = 1;
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
   * The pause switch as last notified (read again on every reconnect and while paused):
   * checked right before each request, so nothing starts after a pause's answer.
   */
  private paused = false;
  /** Jobs cancelled lately, with when we heard: their claimed SMS are not requested. */
  private readonly cancelledJobs = new Map<number, number>();
  private readonly lease: WorkerLease;
  /** When the earliest retry this process asked for falls due (see idleWait). */
  private nextRetryAt = Infinity;
  private loopDone?: Promise<void>;

  constructor(
    private readonly repo: QueueRepository,
    private readonly limiter: RateLimiterService,
    private readonly notifier: QueueNotifier,
    @Inject(SMS_GATEWAY) private readonly gateway: SmsGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {
    this.sender = new RecipientSender(gateway, metrics, {
      maxAttempts: config.smsMaxAttempts,
      baseMs: config.smsRetryBaseMs,
      maxMs: config.smsRetryMaxMs,
    });
    this.rate = config.smsRatePerSec;
    this.tokensHint = config.smsBurstCapacity;
    this.perSegment = config.smsRateUnit === 'segment';
    this.recorder = new ResultRecorder(repo, this.workerId, (ms) => clock.sleep(ms));
    this.sleeper = new WakeableSleep(clock, this.stop.signal);
    this.lease = new WorkerLease(
      () => repo.renewWorkerLease(this.workerId, hostname(), process.pid, config.queueLeaseMs),
      clock,
      config.queueLeaseMs,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // New work means nothing while paused (a resume comes on QUEUE_CONTROL_CHANNEL): each
    // wake would only read the switch again.
    await this.notifier.listen(QUEUED_CHANNEL, () => {
      if (!this.paused) this.wake();
    });
    await this.notifier.listen(QUEUE_CONTROL_CHANNEL, (paused) => {
      this.paused = paused === 'true';
      this.wake();
    });
    await this.notifier.listen(JOB_CANCELLED_CHANNEL, (id) => this.noteCancelled(Number(id)));
    // Whatever was notified while the connection was away is read again.
    await this.notifier.listen(RECONNECTED, () => void this.catchUp().finally(() => this.wake()));
    await this.readPaused();
    await this.lease.renew();
    this.lease.start((err) => this.logger.warn(`lease renewal failed: ${err.message}`));
    this.loopDone = this.loop();
    this.logger.log(
      `worker ${this.workerId} started (concurrency ${this.config.queueConcurrency}, gateway ${this.gateway.name})`,
    );
  }

  /** Something may be waiting: cut the current idle wait short. */
  wake(): void {
    this.sleeper.wake();
  }

  private async loop(): Promise<void> {
    let idle = false;
    let errors = 0;
    while (!this.stop.signal.aborted) {
      try {
        if (this.unreleased.length) await this.releaseUnsent([]);
        if (this.paused) {
          await this.handBackAhead();
          await this.nap(this.config.queuePollMs);
          await this.readPaused();
          continue;
        }
        if (idle) await this.idleWait();
        const held = this.holdUntil - this.clock.now();
        if (held > 0) await this.clock.sleep(held, this.stop.signal);
        if (this.inFlight.size >= this.config.queueConcurrency) {
          await Promise.race(this.inFlight);
          continue;
        }
        // At a low rate, claim only when the next token is about due: an SMS claimed early
        // waits for its token holding its place, ahead of SMS queued meanwhile that the fair
        // order puts first (a user's single SMS beside a bulk waited one SMS longer).
        const early = this.nextTokenAt - CLAIM_LEAD_MS - this.clock.now();
        if (early > 0) {
          await this.nap(early);
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
   * own spacing. The batch is sized to the tokens at hand. Right before each request the
   * pause switch, the job's cancellation and the lease are checked (QUEUE.md: cancel and
   * pause take effect at once; a process that lost its leases sends none of them); what is
   * not sent is handed back, and SMS of cancelled jobs are recorded cancelled. False when
   * there was no work.
   */
  private async claimAndSend(free: number): Promise<boolean> {
    const size = Math.max(1, Math.min(free, MAX_CLAIM, this.claimLimit()));
    const batch = await (this.takeAhead() ?? this.claimNow(size));
    if (batch.rows.length === 0) return false;
    const claimed = this.withoutUnsendable(batch.rows);
    // Claims are not hoarded: what is not sent within half a lease goes back to the queue.
    const mustSendBy = batch.lease.at + this.config.queueLeaseMs / 2;
    // A full batch that only the free slots limited: the backlog is deep, so (see below) the
    // next batch may be claimed while this one is sent.
    const fullBatch = batch.rows.length >= size && size === Math.min(free, MAX_CLAIM);
    const credit = this.perSegment
      ? new TokenCredit(claimed.map((r) => r.segments))
      : new TokenCredit();
    const batchCost = this.perSegment ? this.noteCost(batch.rows) : batch.rows.length;
    let done = 0;
    // SMS whose send window is closed (SCHEDULING.md: none starts outside it), handed back;
    // and when each job's open window closes, worked out once a batch.
    const outside: string[] = [];
    const windowOpenUntil = new Map<number, number>();
    try {
      for (;;) {
        done = this.skipUnsendable(claimed, done);
        if (done >= claimed.length || this.clock.now() >= mustSendBy) break;
        if (!(await this.maySend(batch))) break;
        // A batch claimed ahead may find the slots still taken by the one before it.
        const room = this.config.queueConcurrency - this.inFlight.size;
        if (room <= 0) {
          await Promise.race(this.inFlight);
          continue;
        }
        // Tokens are asked for only the SMS that may be sent now: every token granted is spent
        // on them (or given up) before the next wait for a free slot, so no credit is held
        // while the bucket refills.
        const upTo = Math.min(claimed.length, done + room);
        if (!credit.covers(done)) {
          const take = await this.limiter.acquireBatch(credit.shortfall(done, upTo), {
            signal: this.stop.signal,
            // A request may reach the gateway later after its token than the one before it
            // (2-3 ms usually, up to ~65 ms for a process's first requests under load): leaving
            // that much refill behind keeps the gateway's view within burst + rate × t.
            keepMs: this.config.rateLimitJitterMs,
          });
          credit.add(take.granted, take.spendBy);
          this.rate = take.settings.msgsPerSec;
          this.tokensHint = take.tokens;
          this.nextTokenAt =
            this.clock.now() + (Math.max(0, this.tokensPerSms - take.tokens) / this.rate) * 1000;
          // The bucket paid for the whole full batch at once and could pay for a bigger one: the
          // rate does not limit this worker (a deep backlog at a high rate), so the next batch is
          // claimed now, and the database works on it while this one is sent, instead of after.
          if (
            fullBatch &&
            take.granted === batchCost &&
            size < this.claimLimit() &&
            !this.ahead &&
            !this.stop.signal.aborted
          ) {
            this.ahead = this.claimNow(size);
            // Its failure surfaces when it is taken, in the loop's error handling.
            this.ahead.catch(() => undefined);
          }
        }
        // The token wait may have outlasted a pause, a cancel, a 429 or the lease: each
        // request is checked on its own, synchronously right before it starts. An SMS goes only
        // once its whole cost is paid; the rest of a grant stays in the credit for the next.
        // Tokens the event loop held past their spend-by time (a stall between the grant and
        // here) are given up, and the loop goes back to the bucket for fresh ones.
        this.expireCredit(credit);
        let stopped = false;
        while (done < upTo) {
          const r = claimed[done];
          const unsent = this.unsendable(r);
          if (unsent) {
            credit.forgo(done);
            this.recordUnsent(r, unsent);
          } else if (!this.inWindow(r, windowOpenUntil)) {
            credit.forgo(done);
            outside.push(r.id);
          } else if (!credit.covers(done)) break;
          else if (this.mayRequestNow(batch)) {
            credit.spend(done);
            this.dispatch(r, batch);
          } else {
            stopped = true;
            break;
          }
          done++;
        }
        if (stopped) break;
      }
    } finally {
      await this.releaseUnsent([...outside, ...claimed.slice(done).map((r) => r.id)]);
    }
    return true;
  }

  /**
   * Gives up the tokens in hand once past their spend-by time: sent later, their requests
   * could reach the gateway beside those of tokens granted since, beyond burst + rate × t.
   */
  private expireCredit(credit: TokenCredit): void {
    const dropped = credit.expire(this.clock.now());
    if (dropped > 0) this.metrics.tokensExpired.inc(dropped);
  }

  /** The SMS's send window is open now (a job without one: always). */
  private inWindow(r: ClaimedRecipient, openUntil: Map<number, number>): boolean {
    if (!r.window) return true;
    const now = this.clock.now();
    let until = openUntil.get(r.messageId);
    if (until === undefined) {
      until = isOpen(r.window, now) ? nextClosing(r.window, now) : -Infinity;
      openUntil.set(r.messageId, until);
    }
    return now < until;
  }

  /** The tokens a batch costs in segments; remembers the mean per SMS for sizing claims. */
  private noteCost(rows: ClaimedRecipient[]): number {
    let cost = 0;
    for (const r of rows) cost += r.segments;
    this.tokensPerSms = cost / rows.length;
    return cost;
  }

  /** Nothing stops a request right now: no stop, pause or 429 hold, and the lease is safely ours. */
  private mayRequestNow(batch: ClaimedBatch): boolean {
    return (
      !this.stop.signal.aborted &&
      !this.paused &&
      this.clock.now() >= this.holdUntil &&
      this.lease.holds(batch.lease)
    );
  }

  /** As mayRequestNow, but a lease that only lags (a slow renewal) is renewed first. */
  private async maySend(batch: ClaimedBatch): Promise<boolean> {
    if (this.mayRequestNow(batch)) return true;
    if (this.stop.signal.aborted || this.paused || this.clock.now() < this.holdUntil) return false;
    await this.lease.renew();
    return this.mayRequestNow(batch);
  }

  /**
   * Why an SMS may not be requested now, if it may not: its job was cancelled, its number was
   * suppressed while it waited (CONTENT.md), or its valid_until has come (SCHEDULING.md: no
   * request starts after it).
   */
  private unsendable(r: ClaimedRecipient): Unsent | undefined {
    if (r.cancelled || this.cancelledJobs.has(r.messageId)) return 'cancelled';
    if (r.suppressed) return 'suppressed';
    if (r.validUntil !== null && this.clock.now() >= r.validUntil) return 'expired';
    return undefined;
  }

  /** Records the SMS found unsendable at the claim; returns the others. */
  private withoutUnsendable(rows: ClaimedRecipient[]): ClaimedRecipient[] {
    const live: ClaimedRecipient[] = [];
    for (const r of rows) {
      const unsent = this.unsendable(r);
      if (unsent) this.recordUnsent(r, unsent);
      else live.push(r);
    }
    return live;
  }

  /** Records unsendable SMS from `from` on until the first one to send. */
  private skipUnsendable(rows: ClaimedRecipient[], from: number): number {
    let i = from;
    for (let why; i < rows.length && (why = this.unsendable(rows[i])); i++) {
      this.recordUnsent(rows[i], why);
    }
    return i;
  }

  private recordUnsent(r: ClaimedRecipient, outcome: Unsent): void {
    this.recorder.add({ id: r.id, outcome, error: null, response: null, retryInMs: 0 });
  }

  private noteCancelled(messageId: number): void {
    const now = this.clock.now();
    for (const [id, at] of this.cancelledJobs) {
      if (at > now - CANCEL_MEMORY_MS) break;
      this.cancelledJobs.delete(id);
    }
    this.cancelledJobs.delete(messageId); // re-inserted last: the map stays in time order
    this.cancelledJobs.set(messageId, now);
  }

  private async readPaused(): Promise<void> {
    this.paused = await this.repo.isPaused().catch(() => this.paused);
  }

  /** The pause switch, and the cancelled jobs that may still have SMS claimed somewhere. */
  private async catchUp(): Promise<void> {
    await this.readPaused();
    const ids = await this.repo.cancelledUnfinishedJobs().catch(() => []);
    for (const id of ids) this.noteCancelled(id);
  }

  /**
   * The most worth claiming at once: what the bucket can pay for about now (claimed SMS
   * waiting for tokens would hold their leases idle, and count as in flight in the
   * estimates), and what can be sent well within the lease; in SMS, at the tokens an SMS
   * costs lately.
   */
  private claimLimit(): number {
    const perSms = this.tokensPerSms;
    const affordable = Math.floor((this.tokensHint + this.rate * CLAIM_HORIZON_S) / perSms) + 1;
    const leaseCap = Math.floor((this.rate * this.config.queueLeaseMs) / 4000 / perSms);
    return Math.min(affordable, leaseCap);
  }

  private async claimNow(size: number): Promise<ClaimedBatch> {
    const lease = this.lease.stamp();
    const rows = await this.repo.claim(this.workerId, size, this.config.queueLeaseMs);
    return { rows, lease };
  }

  /** The batch claimed ahead, if any; it is then no longer ahead. */
  private takeAhead(): Promise<ClaimedBatch> | undefined {
    const ahead = this.ahead;
    this.ahead = undefined;
    return ahead;
  }

  /** A batch claimed ahead goes back to the queue (paused: nothing is sent on). */
  private async handBackAhead(): Promise<void> {
    const ahead = await this.takeAhead();
    if (ahead) await this.releaseUnsent(ahead.rows.map((r) => r.id));
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

  private dispatch(r: ClaimedRecipient, batch: ClaimedBatch): void {
    // Asked again when the request's bytes go out (a later tick than the check above): a
    // process frozen in between finds its lease gone on waking, and sends nothing.
    const mayStart = () => this.mayRequestNow(batch) && !this.unsendable(r);
    const p: Promise<void> = this.send(r, mayStart).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Until NOTIFY, the next retry falls due, the poll interval passes, or shutdown. */
  private async idleWait(): Promise<void> {
    // Without an answer (database away) this is just a poll interval.
    const nextDue = await this.repo.msUntilNextDue().catch(() => null);
    // A retry whose result is still being written is not in the database's answer yet.
    const now = this.clock.now();
    const ownRetry = this.nextRetryAt > now ? this.nextRetryAt - now : Infinity;
    if (this.nextRetryAt <= now) this.nextRetryAt = Infinity;
    await this.nap(Math.min(this.config.queuePollMs, nextDue ?? Infinity, ownRetry));
  }

  /** Sleeps `ms`, cut short by wake() or shutdown. */
  private nap(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }

  private async send(r: ClaimedRecipient, mayStart: () => boolean): Promise<void> {
    const { result, holdOffMs, notStarted } = await this.sender.send(
      r,
      this.hardStop.signal,
      mayStart,
    );
    if (notStarted) {
      // Handed back with the next turn's release (it retries until the database answers).
      this.unreleased.push(r.id);
      return;
    }
    if (holdOffMs !== undefined) {
      // 429: the gateway throttles all our traffic: this process stops at once, the others
      // when they find the shared bucket drained.
      const until = this.clock.now() + holdOffMs;
      this.holdUntil = Math.max(this.holdUntil, until);
      await this.limiter.drain(until).catch(() => undefined);
    }
    if (result.outcome === 'retry') {
      const retryAt = this.clock.now() + result.retryInMs;
      // SCHEDULING.md: a retry that would fall after valid_until expires instead.
      if (r.validUntil !== null && retryAt >= r.validUntil) result.outcome = 'expired';
      else this.nextRetryAt = Math.min(this.nextRetryAt, retryAt);
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
    // Only now, with nothing held, may the worker lease end: a stopping process leaves the
    // count at once instead of when its row expires.
    await this.lease.stop();
    await this.repo.removeWorker(this.workerId).catch(() => undefined);
    this.logger.log(`worker ${this.workerId} stopped; ${released} lease(s) released`);
  }
}
