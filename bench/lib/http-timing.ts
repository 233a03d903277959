/**
 * Latency measurement over keep-alive HTTP connections. With one connection (the default)
 * requests are made one after the other (never concurrently), so each figure is the service
 * time of one request plus one loopback round trip, without connection set-up.
 */
import { Agent, request } from 'node:http';
import { median, nowMs, round } from './util.js';

export interface TimedAnswer {
  status: number;
  ms: number;
  text: string;
}

export class KeepAliveClient {
  private readonly agent: Agent;

  /** `maxSockets` connections at most, each kept open (default 1: requests one at a time). */
  constructor(
    private readonly baseUrl: string,
    maxSockets = 1,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** GET `path`; the time runs from the call until the whole body has been received. */
  get(path: string, token?: string): Promise<TimedAnswer> {
    return this.request('GET', path, token);
  }

  /**
   * Any method; `body` is sent as JSON (a string as it is). The time runs from the call
   * until the whole answer has been received.
   */
  request(method: string, path: string, token?: string, body?: unknown): Promise<TimedAnswer> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const payload =
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const started = nowMs();
      const req = request(url, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: nowMs() - started,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1];
}

export interface LatencySummary {
  n: number;
  median_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  min_ms: number;
}

export function summarize(values: readonly number[]): LatencySummary {
  return {
    n: values.length,
    median_ms: round(median(values), 2),
    p95_ms: round(percentile(values, 95), 2),
    p99_ms: round(percentile(values, 99), 2),
    max_ms: round(Math.max(...values), 2),
    min_ms: round(Math.min(...values), 2),
  };
}
