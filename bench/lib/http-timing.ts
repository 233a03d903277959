/**
 * Latency measurement over one keep-alive HTTP connection: requests are made one after the
 * other (never concurrently), so each figure is the service time of one request plus one
 * loopback round trip, without connection set-up.
 */
import { Agent, request } from 'node:http';
import { median, nowMs, round } from './util.js';

export interface TimedAnswer {
  status: number;
  ms: number;
  text: string;
}

export class KeepAliveClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly baseUrl: string) {}

  /** GET `path`; the time runs from the call until the whole body has been received. */
  get(path: string, token?: string): Promise<TimedAnswer> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const started = nowMs();
      const req = request(url, { method: 'GET', agent: this.agent, headers }, (res) => {
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
      req.end();
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
