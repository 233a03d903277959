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
import {
  PermanentGatewayError,
  SMS_GATEWAY,
  type SmsGateway,
  TransientGatewayError,
} from '../gateway/sms-gateway.js';
import { QUEUED_CHANNEL } from '../messages/messages.repository.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { retryDelayMs } from './backoff.js';
import {
  QUEUE_CONTROL_CHANNEL,
  QueueControlRepository,
} from '../queue-control/queue-control.repository.js';
import { QueueNotifier } from './queue-notifier.js';
import { ClaimedRecipient, QueueRepository, SendResult } from './queue.repository.js';
import { ResultRecorder } from './result-recorder.js';

const ERROR_BACKOFF_MS = [500, 1000, 2000, 5000, 10000];

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
  private loopDone?: Promise<void>;

  constructor(
    private readonly repo: QueueRepository,
    private readonly limiter: RateLimiterService,
    private readonly notifier: QueueNotifier,
    private readonly control: QueueControlRepository,
    @Inject(SMS_GATEWAY) private readonly gateway: SmsGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {
    this.recorder = new ResultRecorder(repo, this.workerId, (ms) => clock.sleep(ms));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifier.listen(QUEUED_CHANNEL, () => this.wake());
    await this.notifier.listen(QUEUE_CONTROL_CHANNEL, () => this.wake());
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

  get running(): boolean {
    return this.loopDone !== undefined && !this.stop.signal.aborted;
  }

  private async loop(): Promise<void> {
    let idle = false;
    let errors = 0;
    while (!this.stop.signal.aborted) {
      try {
        if (idle) await this.idleWait();
        if (this.inFlight.size >= this.config.queueConcurrency) {
          await Promise.race(this.inFlight);
          continue;
        }
        // Paused: nothing new is claimed by any process; in-flight sends still finish.
        idle =
          (await this.control.isPaused()) ||
          !(await this.claimAndSend(this.config.queueConcurrency - this.inFlight.size));
        errors = 0;
      } catch (err) {
        if (this.stop.signal.aborted) break;
        const wait = ERROR_BACKOFF_MS[Math.min(errors++, ERROR_BACKOFF_MS.length - 1)];
        this.logger.warn(`queue loop error (${(err as Error).message}); retrying in ${wait} ms`);
        await this.clock.sleep(wait, this.stop.signal).catch(() => undefined);
      }
    }
  }

  /** Takes up to `free` tokens and as many recipients; false when there was no work. */
  private async claimAndSend(free: number): Promise<boolean> {
    const granted = await this.limiter.acquireBatch(free, { signal: this.stop.signal });
    let claimed: ClaimedRecipient[] = [];
    try {
      claimed = await this.repo.claim(this.workerId, granted, this.config.queueLeaseMs);
    } finally {
      if (claimed.length < granted) await this.limiter.refund(granted - claimed.length);
    }
    for (const r of claimed) {
      const p: Promise<void> = this.send(r).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    return claimed.length > 0;
  }

  /** Until NOTIFY, the next retry falls due, the poll interval passes, or shutdown. */
  private async idleWait(): Promise<void> {
    const nextDue = await this.repo.msUntilNextDue();
    const ms = Math.min(this.config.queuePollMs, nextDue ?? Infinity);
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
    const result: SendResult = {
      id: r.id,
      outcome: 'sent',
      error: null,
      response: null,
      retryInMs: 0,
    };
    const started = performance.now();
    let failure: unknown;
    try {
      const answer = await this.gateway.send(
        { to: r.phone, text: r.content },
        this.hardStop.signal,
      );
      result.response = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
    } catch (err) {
      failure = err;
    }
    const seconds = (performance.now() - started) / 1000;
    if (failure !== undefined) Object.assign(result, await this.failure(r, failure));
    this.metrics.recordSend(result.outcome, this.gateway.name, seconds);
    this.recorder.add(result);
  }

  private async failure(r: ClaimedRecipient, err: unknown): Promise<Partial<SendResult>> {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof PermanentGatewayError) return { outcome: 'failed', error: message };
    const transient = err instanceof TransientGatewayError ? err : undefined;
    const delay = retryDelayMs(
      r.attempts,
      this.config.smsRetryBaseMs,
      this.config.smsRetryMaxMs,
      transient?.retryAfterMs,
    );
    if (transient?.throttled) {
      // 429: the gateway throttles all our traffic, so the whole cluster holds off.
      await this.limiter
        .drain(this.clock.now() + (transient.retryAfterMs ?? delay))
        .catch(() => undefined);
    }
    if (this.hardStop.signal.aborted)
      return { outcome: 'retry', error: 'interrupted by shutdown', retryInMs: 0 };
    if (r.attempts >= this.config.smsMaxAttempts) return { outcome: 'failed', error: message };
    return { outcome: 'retry', error: message, retryInMs: delay };
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
    const grace = this.clock.sleep(this.config.shutdownGraceMs).then(() => 'timeout' as const);
    if ((await Promise.race([Promise.all(this.inFlight), grace])) === 'timeout') {
      this.logger.warn(
        `aborting ${this.inFlight.size} send(s) still in flight after the grace period`,
      );
      this.hardStop.abort();
      await Promise.all(this.inFlight);
    }
    await this.recorder.flush();
    const released = await this.repo.release(this.workerId).catch(() => 0);
    this.logger.log(`worker ${this.workerId} stopped; ${released} lease(s) released`);
  }
}
