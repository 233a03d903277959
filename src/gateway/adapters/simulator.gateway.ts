import { Logger } from '@nestjs/common';
import { abortError, Clock, SystemClock } from '../../common/clock.js';
import { maskPhone } from '../mask-phone.js';
import {
  NotStartedError,
  SmsGateway,
  SmsGatewayAnswer,
  SmsSendRequest,
  TransientGatewayError,
} from '../sms-gateway.js';

export interface SimulatorOptions {
  latencyMs: number;
  /** 0..1: the share of sends that fail with a transient "HTTP 503". */
  failureRatio: number;
  /**
   * A debug line per send (LOG_LEVEL debug or trace). Decided once: built and dropped at
   * other levels, the line was some 15 % of what a worker allocated per SMS at full speed.
   */
  logSends?: boolean;
  clock?: Clock;
  random?: () => number;
}

export interface SimulatedSend {
  to: string;
  text: string;
  at: number;
}

const KEEP = 10_000;

/** No network: waits `latencyMs`, fails a `failureRatio` share, records the rest in memory. */
export class SimulatorGateway implements SmsGateway {
  readonly name = 'simulator';
  private readonly logger = new Logger('SimulatorGateway');
  private readonly clock: Clock;
  private readonly random: () => number;
  // A ring of the last KEEP sends in flat arrays: at thousands of sends a second, an object
  // kept per send would survive into the old generation and make garbage collection costly.
  private readonly logTo: string[] = [];
  private readonly logText: string[] = [];
  private readonly logAt = new Float64Array(KEEP);
  private count = 0;

  constructor(private readonly options: SimulatorOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.random = options.random ?? Math.random;
  }

  /** How many sends succeeded since start (not bounded like `sent()`). */
  get totalSent(): number {
    return this.count;
  }

  /** The last 10 000 successful sends, oldest first. */
  sent(): readonly SimulatedSend[] {
    const n = Math.min(this.count, KEEP);
    return Array.from({ length: n }, (_, k) => {
      const i = (this.count - n + k) % KEEP;
      return { to: this.logTo[i], text: this.logText[i], at: this.logAt[i] };
    });
  }

  async send(req: SmsSendRequest, signal?: AbortSignal): Promise<SmsGatewayAnswer> {
    if (req.mayStart && !req.mayStart()) throw new NotStartedError();
    const started = performance.now();
    if (this.options.latencyMs > 0) await this.clock.sleep(this.options.latencyMs, signal);
    else if (signal?.aborted) throw abortError(signal);
    if (this.random() < this.options.failureRatio) {
      throw new TransientGatewayError('simulated failure', { status: 503 });
    }
    const i = this.count++ % KEEP;
    this.logTo[i] = req.to;
    this.logText[i] = req.text;
    this.logAt[i] = this.clock.now();
    if (this.options.logSends) {
      this.logger.debug(`simulated SMS #${this.count} to ${maskPhone(req.to)}`);
    }
    const latencyMs = Math.round(performance.now() - started);
    return { status: 200, body: JSON.stringify({ id: `sim-${this.count}` }), latencyMs };
  }
}
