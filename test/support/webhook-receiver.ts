import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceiverAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (the sender's timeout, or a kill, ends it). */
  hang?: boolean;
}

export interface ReceivedHook {
  at: number;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body, as signed. */
  raw: string;
  /** Parsed JSON body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/**
 * A real local HTTP server standing in for an integration's webhook receiver: records every
 * request with its raw body and headers, and answers from a script, then the default.
 */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  private readonly script: ReceiverAnswer[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private waiters: { pred: () => boolean; done: () => void }[] = [];
  defaultAnswer: ReceiverAnswer = { status: 200, body: 'ok' };

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const r = new WebhookReceiver(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => void r.handle(req, res));
    return r;
  }

  /** The URL of a path on this receiver. */
  url(path = '/hook'): string {
    return `${this.baseUrl}${path}`;
  }

  /** Answers for the next requests, in order. */
  answerNext(...answers: ReceiverAnswer[]): void {
    this.script.push(...answers);
  }

  on(path: string) {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves once `pred` holds (checked on every request), or fails after `timeoutMs`. */
  waitFor(pred: (all: ReceivedHook[]) => boolean, timeoutMs = 15_000): Promise<void> {
    if (pred(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        pred: () => pred(this.received),
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const got = this.received.map((r) => `${r.path} ${r.json?.type}`).join(', ');
        reject(new Error(`WebhookReceiver: condition not met in ${timeoutMs} ms (got: ${got})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  reset(): void {
    this.received.length = 0;
    this.script.length = 0;
    this.defaultAnswer = { status: 200, body: 'ok' };
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    this.received.push({ at: Date.now(), path: req.url ?? '/', headers: req.headers, raw, json });
    const answer = this.script.shift() ?? this.defaultAnswer;
    const ready = this.waiters.filter((w) => w.pred());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    ready.forEach((w) => w.done());
    if (answer.hang) {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
    res.end(answer.body ?? '');
  }
}
