/**
 * CSV upload at scale (CONTENT.md, issue 16): 1 000 000 rows are taken with the app under
 * 300 MB resident, at ≥ 50 % of a raw PostgreSQL COPY of the same rows on the same machine.
 *
 * A CSV file of BENCH_CSV_ROWS (default 1 000 000) rows `phone,name,date` (distinct Hong Kong
 * numbers) is written to a temporary directory; the real app (dist/src/main.js, one process,
 * queue paused so nothing is sent) takes it through POST /api/sms/send-csv with the template
 * `Dear {{name}}, your appointment is on {{date}}.`, streamed from the file: first
 * dry_run=true, then for real. Then the raw COPY: the recipient rows the upload stored are
 * copied out to a file and COPYed back, by the bench's own connection, into a table made
 * LIKE recipients INCLUDING ALL (same columns, defaults and indexes): what storing the same
 * rows costs PostgreSQL alone. For information, the CSV file itself COPYed (FORMAT csv) into
 * three text columns without an index. Figures: rows/s of the dry run, of the upload and of
 * the raw COPYs; upload / raw COPY (target ≥ 50 %); the app's peak resident
 * memory over the whole run (VmHWM; target < 300 MB). Checked: the dry run reports every row
 * valid, the upload's job holds every row as a pending recipient with its own text.
 * Progress: the app's RSS and the bytes sent, every 5 s.
 *
 * Run: npm run bench:csv   (DATABASE_URL=postgres://... to use a server instead of embedded)
 * BENCH_CSV_ROWS=n for a quicker run (e.g. 100000).
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import pgCopyStreams from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import type { AppProcess } from '../test/support/app-process.js';
import { runBench } from '../test/support/cleanup.js';
import { setPaused } from './lib/api.js';
import { Report } from './lib/report.js';
import { RssSampler } from './lib/rss-sampler.js';
import { withSingleApp } from './lib/setup.js';
import { nowMs, round } from './lib/util.js';

const ROWS = Number(process.env.BENCH_CSV_ROWS ?? 1_000_000);
const RSS_TARGET_MB = 300;
const RATIO_TARGET = 0.5;
const TEMPLATE = 'Dear {{name}}, your appointment is on {{date}}.';
const PROGRESS_EVERY_MS = 5_000;

/** Writes the CSV (header + ROWS rows) in batches; its size in bytes. */
async function writeCsv(file: string): Promise<number> {
  const out = createWriteStream(file);
  out.write('phone,name,date\n');
  const BATCH = 10_000;
  for (let start = 0; start < ROWS; start += BATCH) {
    let text = '';
    for (let k = start; k < Math.min(ROWS, start + BATCH); k++) {
      text += `+8529${String(k).padStart(7, '0')},Name ${k},${(k % 28) + 1} Dec\n`;
    }
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  return statSync(file).size;
}

interface Upload {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  seconds: number;
}

/** POST /api/sms/send-csv with the file streamed as the body; progress every 5 s. */
async function upload(
  app: AppProcess,
  file: string,
  query: string,
  rss: RssSampler,
): Promise<Upload> {
  const token = await app.token();
  const size = statSync(file).size;
  const url = new URL(`/api/sms/send-csv?${query}`, app.baseUrl);
  const started = nowMs();
  let sent = 0;
  const timer = setInterval(() => {
    console.log(
      `  ${round((nowMs() - started) / 1000, 1)} s: ${round(sent / 1e6, 1)} of ${round(size / 1e6, 1)} MB sent, app RSS ${rss.currentMb()} MB`,
    );
  }, PROGRESS_EVERY_MS);
  try {
    return await new Promise<Upload>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'text/csv',
          'content-length': String(size),
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text),
            seconds: (nowMs() - started) / 1000,
          }),
        );
      });
      req.on('error', reject);
      const body = createReadStream(file, { highWaterMark: 256 * 1024 });
      body.on('data', (c) => (sent += c.length));
      body.pipe(req);
    });
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<number> {
  if (!Number.isInteger(ROWS) || ROWS < 1_000 || ROWS > 10_000_000) {
    throw new Error(`BENCH_CSV_ROWS=${ROWS}`);
  }
  console.log(
    `csv-upload: ${ROWS} rows (phone + 2 variables) through POST /api/sms/send-csv, dry run then ` +
      `for real, against a raw COPY of the same file; targets: upload ≥ ${RATIO_TARGET * 100} % of ` +
      `the raw COPY's rows/s, app peak RSS < ${RSS_TARGET_MB} MB`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-csv-'));
  const file = join(dir, 'rows.csv');
  const report = new Report('csv-upload');
  try {
    const written = nowMs();
    const bytes = await writeCsv(file);
    console.log(
      `CSV written: ${round(bytes / 1e6, 1)} MB in ${round((nowMs() - written) / 1000, 1)} s`,
    );
    return await withSingleApp(
      'csv_upload',
      (db, gw) => ({
        DATABASE_URL: db.url,
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_MAX_CSV_ROWS: String(Math.max(ROWS, 1_000_000)),
      }),
      async ({ db, gw, client, app, stopApp }) => {
        await setPaused(app, true);
        const rss = new RssSampler(app.pid, 100).start();
        const query = `content=${encodeURIComponent(TEMPLATE)}`;

        console.log('dry run…');
        const dry = await upload(app, file, `${query}&dry_run=true`, rss);
        const dryRate = ROWS / dry.seconds;
        console.log(
          `dry run: HTTP ${dry.status} in ${round(dry.seconds, 1)} s (${Math.round(dryRate)} rows/s)`,
        );
        if (dry.status !== 200 || dry.body.data.valid !== ROWS || dry.body.data.invalid !== 0) {
          report.fail(`dry run: HTTP ${dry.status} ${JSON.stringify(dry.body).slice(0, 300)}`);
        }

        console.log('upload…');
        const real = await upload(app, file, query, rss);
        const realRate = ROWS / real.seconds;
        console.log(
          `upload: HTTP ${real.status} in ${round(real.seconds, 1)} s (${Math.round(realRate)} rows/s)`,
        );
        if (real.status !== 202 || real.body.data.total !== ROWS) {
          report.fail(`upload: HTTP ${real.status} ${JSON.stringify(real.body).slice(0, 300)}`);
        } else {
          const { rows } = await client.query<{ pending: number; own: number }>(
            `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
                    count(content)::int AS own
             FROM recipients WHERE message_id = $1`,
            [real.body.data.id],
          );
          if (rows[0].pending !== ROWS || rows[0].own !== ROWS) {
            report.fail(
              `the job holds ${rows[0].pending} pending recipients, ${rows[0].own} with their own text; expected ${ROWS}`,
            );
          }
        }
        const mem = rss.stop();

        // The baseline: the very rows the upload stored, COPYed into a table of the same
        // columns, defaults and indexes as recipients (what storing them costs at the least).
        const rowsFile = join(dir, 'recipients.copy');
        await pipeline(
          client.query(
            pgCopyStreams.to(
              `COPY (SELECT message_id, ordinal, phone, status, priority, vtag, content, segments
                     FROM recipients WHERE message_id = ${Number(real.body.data?.id ?? 0)}) TO STDOUT`,
            ),
          ),
          createWriteStream(rowsFile),
        );
        await client.query(`CREATE TABLE raw_recipients (LIKE recipients INCLUDING ALL)`);
        console.log('raw COPY of the same recipient rows…');
        const copyStarted = nowMs();
        await pipeline(
          createReadStream(rowsFile, { highWaterMark: 256 * 1024 }),
          client.query(
            pgCopyStreams.from(
              `COPY raw_recipients (message_id, ordinal, phone, status, priority, vtag, content, segments) FROM STDIN`,
            ),
          ),
        );
        const copySeconds = (nowMs() - copyStarted) / 1000;
        const copyRate = ROWS / copySeconds;
        console.log(`raw COPY: ${round(copySeconds, 1)} s (${Math.round(copyRate)} rows/s)`);

        // For information: the CSV file itself into three text columns, no index.
        await client.query(`CREATE UNLOGGED TABLE raw_csv (phone text, name text, date text)`);
        const fileStarted = nowMs();
        await pipeline(
          createReadStream(file, { highWaterMark: 256 * 1024 }),
          client.query(
            pgCopyStreams.from(`COPY raw_csv (phone, name, date) FROM STDIN (FORMAT csv, HEADER)`),
          ),
        );
        const fileRate = ROWS / ((nowMs() - fileStarted) / 1000);
        console.log(`raw COPY of the CSV file into 3 text columns: ${Math.round(fileRate)} rows/s`);

        const ratio = realRate / copyRate;
        report.check('dry run', dryRate, 'rows/s');
        report.check('upload (queued as one job)', realRate, 'rows/s');
        report.check('raw COPY of the same rows into a recipients-like table', copyRate, 'rows/s');
        report.check('raw COPY of the CSV file into 3 text columns (no index)', fileRate, 'rows/s');
        report.check('upload / raw COPY of the CSV file', (realRate / fileRate) * 100, '%');
        report.check(
          'upload / raw COPY',
          ratio * 100,
          '%',
          `≥ ${RATIO_TARGET * 100}`,
          real.status === 202 && ratio >= RATIO_TARGET,
        );
        const peak = mem.hwmMb ?? mem.maxMb;
        report.check(
          `app peak RSS (VmHWM), ${ROWS} rows`,
          peak,
          'MB',
          `< ${RSS_TARGET_MB}`,
          peak !== null && peak < RSS_TARGET_MB,
        );
        if (gw.requests.length) report.fail(`${gw.requests.length} SMS sent while paused`);
        const appExit = await stopApp();
        return report.finish(
          {
            database: db.server,
            rows: ROWS,
            csv_mb: round(bytes / 1e6, 1),
            dry_seconds: round(dry.seconds, 2),
            upload_seconds: round(real.seconds, 2),
            copy_seconds: round(copySeconds, 2),
            rss: mem,
            app_exit_code: appExit,
          },
          () => app.dumpOutput('a check failed'),
        );
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
