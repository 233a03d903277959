/**
 * `npm run bench`: every benchmark under bench/, one after another (they measure timing, so
 * never side by side), then one table of figures against targets, the results as JSON under
 * bench/results/, and a non-zero exit if any target was missed.
 *
 * Each bench is a script that prints progress and, as its last JSON line, the summary its
 * Report writes: `{bench, ok, failures, figures: [{name, value, unit, target, ok}], ...}`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppRssMonitor } from './lib/app-rss-monitor.js';
import type { Figure, Summary } from './lib/report.js';

/** Issue 8: the app's resident memory stays under this throughout the benchmarks. */
const APP_RSS_MAX_MB = 300;

const HERE = dirname(fileURLToPath(import.meta.url));
/** In the order of the issues that asked for them; `--only a,b` picks some. */
const BENCHES = [
  'rate-precision',
  'eta',
  'status-scale',
  'crash',
  'cluster',
  'high-rate',
  'ingest',
  'dispatch',
  'fairness',
  'submissions',
  'scheduling',
  'webhooks',
  'csv-upload',
  'personalised',
];

function runOne(name: string): Promise<{ summary: Summary; seconds: number }> {
  const started = Date.now();
  const rss = new AppRssMonitor().start();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(HERE, `${name}.js`)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let last: Summary | undefined;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        // Progress goes straight through, indented under the bench's name.
        if (line.startsWith('{"bench"')) last = JSON.parse(line) as Summary;
        else process.stdout.write(`  [${name}] ${line}\n`);
      }
    });
    child.on('exit', (code) => {
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      const summary = last ?? {
        bench: name,
        ok: false,
        failures: [`exited ${code} without a summary`],
      };
      if (code !== 0 && summary.ok) {
        summary.ok = false;
        summary.failures = [...(summary.failures ?? []), `exit code ${code}`];
      }
      addRssFigure(summary, rss.stop());
      resolve({ summary, seconds });
    });
  });
}

/** Every bench that starts the app also gets its peak resident memory judged. */
function addRssFigure(summary: Summary, rss: { peakMb: number | null; processes: number }): void {
  if (rss.peakMb === null) return;
  const ok = rss.peakMb < APP_RSS_MAX_MB;
  summary.figures = [
    ...(summary.figures ?? []),
    {
      name: `app peak RSS (${rss.processes} process${rss.processes === 1 ? '' : 'es'})`,
      value: rss.peakMb,
      unit: 'MB',
      target: `< ${APP_RSS_MAX_MB}`,
      ok,
    },
  ];
  if (!ok) {
    summary.ok = false;
    summary.failures = [
      ...(summary.failures ?? []),
      `an app process peaked at ${rss.peakMb} MB resident, not below ${APP_RSS_MAX_MB} MB`,
    ];
  }
}

function table(results: { summary: Summary; seconds: number }[]): string {
  const rows: string[][] = [['bench', 'figure', 'value', 'target', 'result']];
  for (const { summary, seconds } of results) {
    const figures: Figure[] = [
      // The bench's own verdict also covers checks that have no figure of their own.
      { name: 'whole bench (all its checks)', value: seconds, unit: 's', ok: summary.ok },
      ...(summary.figures ?? []),
    ];
    for (const f of figures) {
      const value = f.value === null ? 'n/a' : `${f.value}${f.unit ? ` ${f.unit}` : ''}`;
      const verdict = f.ok == null ? 'info' : f.ok ? 'pass' : 'FAIL';
      rows.push([summary.bench, f.name, value, f.target ?? '', verdict]);
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const names = only ?? BENCHES;
  const results: { summary: Summary; seconds: number }[] = [];
  for (const [i, name] of names.entries()) {
    console.log(`\n=== [${i + 1}/${names.length}] ${name}`);
    results.push(await runOne(name));
    console.log(
      `=== ${name}: ${results.at(-1)!.summary.ok ? 'pass' : 'FAIL'} in ${results.at(-1)!.seconds} s`,
    );
  }
  console.log(`\n${table(results)}\n`);
  const dir = join(HERE, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
  console.log(`results written to ${file}`);
  const failed = results.filter((r) => !r.summary.ok);
  for (const f of failed)
    console.log(`FAILED ${f.summary.bench}: ${(f.summary.failures ?? []).join('; ')}`);
  process.exit(failed.length ? 1 : 0);
}

void main();
