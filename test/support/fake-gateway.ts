import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface FakeAnswer {
  status: number;
  body?: string;
  delayMs?: number;
  headers?: Record<string, string>;
  /** Destroy the socket (TCP reset) instead of answering. */
  reset?: boolean;
}

export interface ReceivedRequest {
  /** performance.timeOrigin + performance.now(), in ms. */
  at: number;
  path: string;
  /** '+'-prefixed E.164. */
  to: string;
  text: string;
  fields: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** When the answer was written (same clock as `at`); unset while unanswered. */
  answeredAt?: number;
}

interface Waiter {
  n: number;
  done: () => void;
}

const OK: FakeAnswer = { status: 200, body: 'OK' };
/** What a lean gateway keeps of every request's fields and headers. */
const NOTHING: Readonly<Record<string, never>> = Object.freeze({});

export interface FakeGatewayOptions {
  defaultAnswer?: FakeAnswer;
  /**
   * Keep only when, where, to whom and what of each request (`fields` and `headers` empty):
   * for benches of 100 000s of requests, whose full copies made this process's major
   * collections pause its event loop, which then timed arrivals late and in bunches.
   */
  lean?: boolean;
}

/**
 * A real local HTTP server standing in for the upstream SMS gateway. It understands the hkt
 * form body (`mrt`, `msg_utf8`, ...) and the JSON `{to, text}` body, records every request on
 * arrival and answers from per-number scripts, then from the default answer.
 */
export class FakeGateway {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, FakeAnswer[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: Waiter[] = [];
  private defaultAnswer: FakeAnswer;
  private open = 0;
  /** The most requests that were open (received, not yet answered) at once since reset(). */
  maxInFlight = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly initialDefault: FakeAnswer,
    private readonly lean: boolean,
  ) {
    this.defaultAnswer = initialDefault;
  }

  static async start(opts: FakeGatewayOptions = {}): Promise<FakeGateway> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/send`;
    const gw = new FakeGateway(server, url, opts.defaultAnswer ?? OK, opts.lean ?? false);
    server.on('request', (req, res) => void gw.handle(req, res));
    return gw;
  }

  script(to: string, answers: FakeAnswer[]): void {
    this.scripts.set(to, [...(this.scripts.get(to) ?? []), ...answers]);
  }

  setDefault(answer: FakeAnswer): void {
    this.defaultAnswer = answer;
  }

  countFor(to: string): number {
    return this.requests.reduce((n, r) => (r.to === to ? n + 1 : n), 0);
  }

  waitForRequests(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        n,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(`FakeGateway: ${this.requests.length}/${n} requests after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Forgets requests and scripts and restores the default answer given to `start`. */
  reset(): void {
    this.requests.length = 0;
    this.maxInFlight = this.open;
    this.scripts.clear();
    this.defaultAnswer = this.initialDefault;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.timeOrigin + performance.now();
    this.maxInFlight = Math.max(this.maxInFlight, ++this.open);
    res.once('close', () => this.open--);
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return; // the client went away
    }
    const { to, text, fields } = parseBody(raw, String(req.headers['content-type'] ?? ''));
    const request: ReceivedRequest = {
      at,
      path: req.url ?? '/',
      to,
      text,
      fields: this.lean ? NOTHING : fields,
      headers: this.lean ? NOTHING : { ...req.headers },
    };
    this.record(request);
    const answer = this.scripts.get(to)?.shift() ?? this.defaultAnswer;
    const reply = () => {
      request.answeredAt = performance.timeOrigin + performance.now();
      respond(res, answer);
    };
    if (!answer.delayMs) return reply();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      reply();
    }, answer.delayMs);
    this.timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }

  private record(r: ReceivedRequest): void {
    this.requests.push(r);
    const ready = this.waiters.filter((w) => this.requests.length >= w.n);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.done();
  }
}

function respond(res: ServerResponse, answer: FakeAnswer): void {
  if (res.destroyed) return;
  if (answer.reset) {
    res.socket?.resetAndDestroy();
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', ...answer.headers });
  res.end(answer.body ?? '');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(
  raw: string,
  contentType: string,
): Omit<ReceivedRequest, 'at' | 'path' | 'headers'> {
  if (contentType.includes('json') || raw.trimStart().startsWith('{')) {
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // recorded with empty fields
    }
    const fields = Object.fromEntries(Object.entries(json).map(([k, v]) => [k, String(v)]));
    return { to: fields.to ?? '', text: fields.text ?? '', fields };
  }
  const fields = Object.fromEntries(new URLSearchParams(raw));
  const mrt = fields.mrt ?? fields.to ?? '';
  const to = mrt && !mrt.startsWith('+') ? `+${mrt}` : mrt;
  return { to, text: fields.msg_utf8 ?? fields.text ?? '', fields };
}
