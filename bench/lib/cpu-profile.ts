/**
 * Summaries of V8 CPU profiles written by `node --cpu-prof` (the app child of a bench, started
 * with `startApp(env, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })`): self time by
 * module (an npm package, a file of dist/src, node internals, native built-ins such as
 * JSON.parse, the garbage collector), the top functions by self time, and inclusive time of
 * the app's own functions. Optionally restricted to a time window on the monotonic clock
 * (`monotonicUs()` in the bench: the profile's timestamps use the same clock on Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface TimeShare {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window, %. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds sampled in the window, idle included. */
  windowMs: number;
  idleMs: number;
  busyMs: number;
  /** True when the window matched no sample and the whole profile was used instead. */
  wholeProfile: boolean;
  byModule: TimeShare[];
  topFunctions: TimeShare[];
  /** Inclusive time of functions defined in dist/src (the app's own code). */
  appInclusive: TimeShare[];
}

/** The monotonic clock in microseconds, the time base of --cpu-prof timestamps. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** The newest .cpuprofile file in `dir`. */
export function latestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  return files.length ? join(dir, files.at(-1)!) : undefined;
}

function moduleOf(f: CallFrame): string {
  const url = f.url;
  if (!url) {
    if (f.functionName.startsWith('(')) return f.functionName;
    return `(native) ${f.functionName || 'anonymous'}`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `app: src/${url.slice(src + '/dist/src/'.length)}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function label(f: CallFrame): string {
  const where = f.url ? `${moduleOf(f).replace(/^app: /, '')}:${f.lineNumber + 1}` : 'native';
  return `${f.functionName || '(anonymous)'} (${where})`;
}

function shares(map: Map<string, number>, busyMs: number, limit: number): TimeShare[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({
      name,
      ms: Math.round(us / 100) / 10,
      pct: busyMs > 0 ? Math.round((us / 1000 / busyMs) * 1000) / 10 : 0,
    }));
}

export function summarizeProfile(
  file: string,
  window?: { fromUs: number; toUs: number },
  limit = 12,
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Sample i lasts from its timestamp to the next one (V8's own convention is the delta
  // before it; at 1 ms sampling the difference does not matter here).
  const stamps: number[] = [];
  let t = p.startTime;
  for (const d of p.timeDeltas) stamps.push((t += d));
  const inWindow = (i: number) =>
    !window || (stamps[i] >= window.fromUs && stamps[i] <= window.toUs);
  let picked = p.samples.map((_, i) => i).filter(inWindow);
  const wholeProfile = picked.length === 0 && window !== undefined;
  if (wholeProfile) picked = p.samples.map((_, i) => i);

  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const i of picked) {
    const us = i + 1 < stamps.length ? stamps[i + 1] - stamps[i] : 0;
    const node = byId.get(p.samples[i])!;
    totalUs += us;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const m = moduleOf(node.callFrame);
    byModule.set(m, (byModule.get(m) ?? 0) + us);
    const fn = label(node.callFrame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      if (!f.url.includes('/dist/src/')) continue;
      const key = label(f);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const busyMs = (totalUs - idleUs) / 1000;
  return {
    file,
    windowMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    busyMs: Math.round(busyMs),
    wholeProfile,
    byModule: shares(byModule, busyMs, limit),
    topFunctions: shares(byFunction, busyMs, limit),
    appInclusive: shares(inclusive, busyMs, limit),
  };
}

/** Lines for the bench log. */
export function profileReport(s: ProfileSummary): string[] {
  const row = (x: TimeShare) => `    ${String(x.pct).padStart(5)} %  ${x.ms} ms  ${x.name}`;
  return [
    `cpu profile ${s.file}${s.wholeProfile ? ' (window matched nothing: whole profile)' : ''}: ` +
      `${s.windowMs} ms sampled, ${s.busyMs} ms busy, ${s.idleMs} ms idle`,
    '  self time by module (% of busy):',
    ...s.byModule.map(row),
    '  top functions by self time:',
    ...s.topFunctions.map(row),
    "  the app's own functions, inclusive time:",
    ...s.appInclusive.map(row),
  ];
}

// `node dist/bench/lib/cpu-profile.js <file.cpuprofile> [top]`: the summary of one profile.
if (process.argv[1]?.endsWith('cpu-profile.js') && process.argv[2]) {
  const top = Number(process.argv[3] ?? 20);
  console.log(profileReport(summarizeProfile(process.argv[2], undefined, top)).join('\n'));
}
