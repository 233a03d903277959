import { worstWindow } from '../../test/support/rate-check.js';
import { median, round } from './util.js';

/** What trace-preload.ts wrote, joined per phone number with the gateway's arrival. */
export interface TracedRequest {
  to: string;
  /** End of the last granted bucket take before it arrived (its token was taken by then). */
  tokenAt?: number;
  claimedAt?: number;
  arrivedAt: number;
}

type TraceEvent =
  | { k: 'take'; s: number; e: number; granted: number }
  | { k: 'claim'; s: number; e: number; phones: string[] };

export function parseTrace(output: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of output.split('\n')) {
    const at = line.indexOf('BENCH-TRACE ');
    if (at < 0) continue;
    try {
      events.push(JSON.parse(line.slice(at + 'BENCH-TRACE '.length)) as TraceEvent);
    } catch {
      // a line cut by the output buffer
    }
  }
  return events;
}

export function joinTrace(
  events: TraceEvent[],
  arrivals: { to: string; at: number }[],
): TracedRequest[] {
  const takes = events.filter((e) => e.k === 'take' && e.granted > 0) as Extract<
    TraceEvent,
    { k: 'take' }
  >[];
  const byPhone = new Map<string, TracedRequest>();
  for (const a of [...arrivals].sort((x, y) => x.at - y.at)) {
    if (!byPhone.has(a.to))
      byPhone.set(a.to, {
        to: a.to,
        arrivedAt: a.at,
        tokenAt: takes.filter((t) => t.e <= a.at).at(-1)?.e,
      });
  }
  for (const e of events) {
    if (e.k !== 'claim') continue;
    for (const phone of e.phones) {
      const r = byPhone.get(phone);
      if (r && r.claimedAt === undefined) r.claimedAt = e.e;
    }
  }
  return [...byPhone.values()];
}

/** Lines for the bench log: per-request timeline around the worst window, and latencies. */
export function traceReport(
  traced: TracedRequest[],
  rate: number,
  burst: number,
  slackMs: number,
  worst: { i: number; j: number } | null,
): string[] {
  if (traced.length === 0) return ['trace: no traced requests'];
  const t0 = traced[0].arrivedAt;
  const rel = (t?: number) => (t === undefined ? '-' : String(round(t - t0, 1)));
  const lines = [
    'trace (ms after the first arrival): #, number, token taken by, claimed, arrived, token→arrival',
  ];
  const show = new Set<number>();
  for (let k = 0; k < Math.min(burst + 4, traced.length); k++) show.add(k);
  if (worst) for (const k of [worst.i, worst.j]) show.add(k);
  for (const k of [...show].sort((a, b) => a - b)) {
    const r = traced[k];
    lines.push(
      `  #${k + 1} ${r.to}: ${rel(r.tokenAt)}, ${rel(r.claimedAt)}, ${rel(r.arrivedAt)}, ` +
        (r.tokenAt === undefined ? '-' : `${round(r.arrivedAt - r.tokenAt, 1)}`),
    );
  }
  const latency = traced
    .filter((r) => r.tokenAt !== undefined)
    .map((r) => r.arrivedAt - r.tokenAt!);
  if (latency.length) {
    lines.push(
      `token→arrival ms: first ${round(latency[0], 1)}, median ${round(median(latency), 1)}, ` +
        `min ${round(Math.min(...latency), 1)}, max ${round(Math.max(...latency), 1)}`,
    );
  }
  const tokens = traced.map((r) => r.tokenAt).filter((t): t is number => t !== undefined);
  if (tokens.length === traced.length) {
    const w = worstWindow(tokens, rate, burst, slackMs);
    lines.push(
      `the same check on the app's token times (end of each take): worst excess ${round(w.excess, 4)} ` +
        `(${round(w.excessWithSlack, 4)} with ${slackMs} ms slack) → ${w.holds ? 'holds' : 'BROKEN'}`,
    );
  }
  return lines;
}
