/**
 * The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core, against the built app (dist/src/main.js) on a fresh database, sending through
 * a local fake SMS gateway at 5 SMS/s.
 *
 * Steps: GET / and its security headers; the admin logs in (after a wrong password); creates a
 * user in the Users page; the user logs in with the keyboard, composes a 10-recipient job
 * (pasted CSV column) and watches its progress bar reach 100 %; the job page lists the
 * recipients and one SMS's timeline (its event history); the user adds a webhook endpoint (the
 * secret shown once), sends it a test ping and sees it delivered in the deliveries log, then
 * turns it off and changes its events, rotates its secret and deletes it; the user writes a
 * template in the Templates page (a bad brace refused next to the field, an edit makes
 * version 2, search, delete), picks it in the compose form and sees the preview rendered with
 * the values typed, uploads a CSV file whose invalid row the dry-run report names (Send
 * blocked), then the corrected file, sends it and finds each recipient's own text on the job
 * page; the admin changes the rate in Queue control and the queue card shows it; the pages fit
 * a phone-width screen; no script error or CSP violation on the way.
 * Screenshots of each step go to test/artifacts/ (gitignored).
 *
 * Run: npm run test:browser (builds, bundles this file to dist/test/browser/ and runs it there;
 * DATABASE_URL=postgres://... to use a server instead of an embedded PostgreSQL).
 * Ends with "N passed, N failed" and exit code 1 when a step failed.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { parse as parseCsv } from 'csv-parse/sync';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
// Bundled from dist/test/browser/, so these modules' `import.meta.url` paths (../../src/main.js
// for the app, ../../../ for the project root) resolve exactly as from dist/test/support/.
import { type AppProcess, BENCH_ADMIN, startApp } from '../support/app-process.js';
import { type BenchDatabase, benchDatabase } from '../support/bench-db.js';
import { runBench } from '../support/cleanup.js';
import { FakeGateway } from '../support/fake-gateway.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const RATE = 5;
const NEW_RATE = 7;
const USER = { username: 'alice', password: 'alice-secret-pw' };
const NUMBERS = Array.from({ length: 10 }, (_, k) => `+852 9123 45${String(k).padStart(2, '0')}`);

interface StepResult {
  name: string;
  ok: boolean | null;
  ms: number;
  error?: string;
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function login(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function logout(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'smspanel' }).waitFor();
}

/** Polls `cond` (from Node, through locators) until it holds. */
async function waitUntil(
  what: string | (() => string),
  cond: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      const text = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function cardValue(page: Page, key: string): Promise<string> {
  return (await page.locator(`[data-card="${key}"] .card-value`).textContent())?.trim() ?? '';
}

async function main(): Promise<number> {
  assert(existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install -y chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS)) {
    if (f.endsWith('.png')) rmSync(join(ARTIFACTS, f));
  }
  const results: StepResult[] = [];
  let db: BenchDatabase | undefined;
  let gw: FakeGateway | undefined;
  let rx: WebhookReceiver | undefined;
  let app: AppProcess | undefined;
  let context: BrowserContext | undefined;
  const userDataDir = mkdtempSync(join(tmpdir(), 'smspanel-chromium-'));
  const pageProblems: string[] = [];
  let failed = false;
  let currentPage: Page | undefined;

  const step = async (name: string, fn: () => Promise<void>) => {
    const started = Date.now();
    if (failed) {
      results.push({ name, ok: null, ms: 0 });
      console.log(`- ${name} (skipped: an earlier step failed)`);
      return;
    }
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - started });
      console.log(`✓ ${name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed = true;
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      results.push({ name, ok: false, ms: Date.now() - started, error });
      console.log(`✗ ${name} (${Date.now() - started} ms)\n  ${error.replace(/\n/g, '\n  ')}`);
      const n = results.length;
      await currentPage
        ?.screenshot({ path: join(ARTIFACTS, `failed-step-${n}.png`), fullPage: true })
        .catch(() => undefined);
    }
  };

  try {
    db = await benchDatabase('browser');
    gw = await FakeGateway.start();
    rx = await WebhookReceiver.start();
    app = await startApp(
      {
        DATABASE_URL: db.url,
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: String(RATE),
        SMS_BURST_CAPACITY: '2',
        // The test receiver listens on 127.0.0.1.
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
      { label: 'app' },
    );
    const base = app.baseUrl;
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    currentPage = page;
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // Chromium logs every 4xx answer as "Failed to load resource"; those are expected here.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
        pageProblems.push(`console: ${msg.text()}`);
      }
    });

    await step(
      'GET / serves the dashboard under a strict CSP; /api 404 and /docs unchanged',
      async () => {
        const res = await fetch(`${base}/`);
        assert(res.status === 200, `GET / answered ${res.status}`);
        assert((res.headers.get('content-type') ?? '').includes('text/html'), 'GET / is not HTML');
        const csp = res.headers.get('content-security-policy') ?? '';
        assert(csp.includes("script-src 'self'"), `CSP is "${csp}"`);
        const html = await res.text();
        assert(
          html.includes('src="app.js"') && !/<script>/.test(html),
          'index.html has inline script',
        );
        const js = await fetch(`${base}/app.js`);
        assert(js.status === 200, `GET /app.js answered ${js.status}`);
        const missing = await fetch(`${base}/api/no-such-route`);
        const body = (await missing.json()) as { success: boolean; error: { code: string } };
        assert(
          missing.status === 404 && body.success === false && body.error.code === 'NOT_FOUND',
          `GET /api/no-such-route: ${missing.status} ${JSON.stringify(body)}`,
        );
        const docs = await fetch(`${base}/docs-json`);
        assert(docs.status === 200, `GET /docs-json answered ${docs.status}`);
      },
    );

    await step('admin login: a wrong password shows the API error, then logs in', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('heading', { name: 'smspanel' }).waitFor();
      await login(page, BENCH_ADMIN.username, 'not-the-password');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = (await alert.textContent()) ?? '';
      assert(/UNAUTHORIZED/.test(text), `login error shows "${text}"`);
      await shot(page, '01-login-error');
      await login(page, BENCH_ADMIN.username, BENCH_ADMIN.password);
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      await page.locator('[data-card="rate"]').waitFor();
      await page.locator('[data-card="waiting"]').getByText('sharing the rate').waitFor();
      await page.locator('[data-card="mine"]').getByText('your share').waitFor();
      assert((await cardValue(page, 'rate')) === `${RATE}/s`, 'rate card');
      await page.getByRole('link', { name: 'Users', exact: true }).waitFor();
      await shot(page, '02-admin-dashboard');
    });

    await step('admin creates a user in the Users page (API token shown once)', async () => {
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      // A too-short password: the API's validation details are shown next to the field.
      await page.getByLabel('Username').fill(USER.username);
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.locator('.create-user [role="alert"]').waitFor();
      const invalid = await page.getByLabel('Password').getAttribute('aria-invalid');
      assert(invalid === 'true', 'the password field is not marked invalid');
      await shot(page, '03-create-user-error');
      await page.getByLabel('Password').fill(USER.password);
      await page.getByRole('button', { name: 'Create user' }).click();
      const token = await page.locator('.token-panel code').textContent();
      assert(token && token.length > 20, `token panel shows "${token}"`);
      await page.locator(`tr[data-user="${USER.username}"]`).waitFor();
      await shot(page, '04-user-created');
    });

    await step('the new user logs in with the keyboard and sees no admin pages', async () => {
      await logout(page);
      await page.getByLabel('Username').focus();
      await page.keyboard.type(USER.username);
      await page.keyboard.press('Tab');
      await page.keyboard.type(USER.password);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      assert(
        (await page.getByRole('link', { name: 'Users', exact: true }).count()) === 0,
        'Users link shown',
      );
      const who = await page.locator('[data-username]').textContent();
      assert(who === USER.username, `logged in as "${who}"`);
      // A new user may not send urgent SMS: the compose form does not offer it.
      const urgent = await page.getByLabel(/Urgent: send/).count();
      assert(urgent === 0, 'the urgent choice is offered to a user without the right');
    });

    let jobId = 0;
    await step(
      'compose: live number check and segment counter, then a 10-recipient job',
      async () => {
        const recipients = page.getByLabel('Recipients', { exact: true });
        const content = page.getByLabel('Message', { exact: true });
        await recipients.fill('+852 9123 4500\n12ab');
        await page.locator('#recipients-check').getByText('1 invalid').waitFor();
        await content.fill('Ünïcödé 😀 check');
        await page.locator('#content-counter').getByText('UCS-2').waitFor();
        await page.getByRole('button', { name: /^Send/ }).click();
        await page.locator('.compose [role="alert"]').getByText('Line 2').waitFor();
        await shot(page, '05-compose-invalid');

        // A column pasted from a spreadsheet: header line, quotes, spaces.
        await recipients.fill(['phone', ...NUMBERS.map((n) => `"${n}"`)].join('\n'));
        await content.fill('Hello from the smspanel browser test. Your order is ready.');
        const check = (await page.locator('#recipients-check').textContent()) ?? '';
        assert(check.includes('10 valid numbers'), `recipients check says "${check}"`);
        assert(check.includes('header “phone” skipped'), `recipients check says "${check}"`);
        const counter = (await page.locator('#content-counter').textContent()) ?? '';
        assert(
          counter.includes('GSM-7') && counter.includes('1 SMS part × 10 recipients = 10 SMS'),
          `counter says "${counter}"`,
        );
        await shot(page, '06-compose-ready');
        await page.getByRole('button', { name: 'Send to 10 recipients' }).click();
        const result = page.locator('.compose .result');
        await result.getByText('queued').waitFor();
        const text = (await result.textContent()) ?? '';
        const m = /Job #(\d+) queued: 10 SMS/.exec(text);
        assert(m, `send result says "${text}"`);
        jobId = Number(m[1]);
      },
    );

    await step("the job's progress bar reaches 100 % and its status completed", async () => {
      const row = page.locator(`tr[data-job-id="${jobId}"]`);
      const bar = row.getByRole('progressbar');
      await bar.waitFor();
      await shot(page, '07-job-sending');
      const status = row.locator('[data-status]');
      let seen = '';
      await waitUntil(
        () => `job #${jobId} at 100 % and completed (last seen: ${seen})`,
        async () => {
          const [now, st] = await Promise.all([
            bar.getAttribute('aria-valuenow'),
            status.getAttribute('data-status'),
          ]);
          seen = `${now} %, ${st}`;
          return now === '100' && st === 'completed';
        },
        30_000,
      );
      assert(gw!.requests.length === 10, `the gateway got ${gw!.requests.length} requests`);
      const sentTo = new Set(gw!.requests.map((r) => r.to));
      assert(sentTo.size === 10 && sentTo.has('+85291234509'), 'wrong numbers sent');
      // The chart and cards follow on the next refresh.
      await page.locator('.chart-summary').getByText('10 SMS sent').waitFor();
      await shot(page, '08-job-completed');
    });

    await step('job page: figures and recipients', async () => {
      await page.getByRole('link', { name: `#${jobId}`, exact: true }).click();
      await page.getByRole('heading', { name: `Job #${jobId}`, level: 1 }).waitFor();
      await page.locator('[data-fact="sent"] dd').getByText('10').waitFor();
      // A finished job has no start or finish to expect any more.
      await page.locator('[data-fact="start"] dd').getByText('—').waitFor();
      assert(
        (await page.getByRole('button', { name: 'Cancel job' }).isDisabled()) === true,
        'cancel is enabled on a completed job',
      );
      const rows = page.locator('table tbody tr');
      assert((await rows.count()) === 10, `${await rows.count()} recipient rows`);
      await shot(page, '09-job-detail');
    });

    await step("job page: an SMS's timeline, from queued to sent", async () => {
      await page
        .locator('table tbody tr')
        .first()
        .getByRole('button', { name: 'Timeline' })
        .click();
      const tl = page.locator('.timeline');
      await tl.locator('[data-event="sent"]').waitFor();
      const types = await tl
        .locator('li')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
      assert(
        JSON.stringify(types) === JSON.stringify(['queued', 'attempt', 'sent']),
        `timeline shows ${JSON.stringify(types)}`,
      );
      await shot(page, '09c-sms-timeline');
    });

    await step(
      'webhooks: add an endpoint (secret shown once), ping it, see the delivery',
      async () => {
        await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
        await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
        await page.getByLabel('Endpoint URL').fill(rx!.url('/browser-hook'));
        await page.getByLabel('Description (optional)').fill('browser test');
        await page.getByRole('button', { name: 'Add endpoint' }).click();
        const secret = (await page.locator('.secret-panel code').textContent()) ?? '';
        assert(/^whsec_/.test(secret), `secret panel shows "${secret}"`);
        const row = page.locator('tr[data-webhook]', { hasText: '/browser-hook' });
        await row.waitFor();
        await shot(page, '09d-webhook-created');
        await page.getByRole('button', { name: 'Done' }).click();
        assert((await page.locator('.secret-panel').count()) === 0, 'the secret is still shown');
        await row.getByRole('button', { name: 'Send test ping' }).click();
        await page.getByText(/Test ping evt_\w+ queued/).waitFor();
        await rx!.waitFor((all) => all.some((r) => r.json?.type === 'ping'));
        await page
          .locator('table.deliveries tr[data-event-type="ping"] [data-status="delivered"]')
          .waitFor();
        await shot(page, '09e-webhook-ping-delivered');
      },
    );

    await step('webhooks: edit (turn off), rotate the secret, delete', async () => {
      const row = page.locator('tr[data-webhook]', { hasText: '/browser-hook' });
      const id = await row.getAttribute('data-webhook');
      await row.getByRole('button', { name: 'Edit' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Active (receives events)').uncheck();
      await dialog.getByLabel('message.completed').check();
      await dialog.getByLabel('Every event (*)').uncheck();
      await dialog.getByRole('button', { name: 'Save' }).click();
      await row.locator('[data-status="inactive"]').waitFor();
      await row.getByText('message.completed', { exact: true }).waitFor();
      const res = await app!.api<{ data: { webhooks: { id: number; is_active: boolean }[] } }>(
        'GET',
        '/api/admin/webhooks',
      );
      const saved = res.body.data.webhooks.find((w) => String(w.id) === id);
      assert(saved && saved.is_active === false, `the API has ${JSON.stringify(saved)}`);
      assert((await page.locator('.secret-panel').count()) === 0, 'a secret is shown before');
      await row.getByRole('button', { name: 'Rotate secret' }).click();
      const secret = (await page.locator('.secret-panel code').textContent()) ?? '';
      assert(/^whsec_/.test(secret), `rotated secret panel shows "${secret}"`);
      await row.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete endpoint' }).click();
      await page.getByText(`Endpoint #${id} deleted.`).waitFor();
      await page.getByText('No endpoints yet').waitFor();
    });

    const TEMPLATE_TEXT = 'Dear {{name}}, your appointment is on {{date}}. Reply STOP to opt out.';
    await step(
      'templates: a bad brace is refused next to the field; create, edit (version 2), search, delete',
      async () => {
        await page.getByRole('link', { name: 'Templates', exact: true }).click();
        await page.getByRole('heading', { name: 'Templates', level: 1 }).waitFor();
        const text = page.getByLabel('Text', { exact: true });
        await page.getByLabel('Name', { exact: true }).fill('Appointment');
        await text.fill('Dear {{name}, see you');
        await page.locator('#template-placeholders').getByText('Will be refused').waitFor();
        await page.getByRole('button', { name: 'Create template' }).click();
        const fieldError = page.locator('.template-form .field-error');
        await fieldError.waitFor();
        const message = (await fieldError.textContent()) ?? '';
        assert(/position 5/.test(message), `the field error says "${message}"`);
        assert((await text.getAttribute('aria-invalid')) === 'true', 'the text is not invalid');
        await shot(page, '16-template-bad-brace');

        await text.fill('Dear {{name}}, your appointment is on {{date}}.');
        const chips = page.locator('#template-placeholders [data-placeholder]');
        await waitUntil('two placeholder chips', async () => (await chips.count()) === 2);
        await page.getByRole('button', { name: 'Create template' }).click();
        await page.getByText('Template “Appointment” created.').waitFor();
        const row = page.locator('tr[data-template]', { hasText: 'Appointment' });
        await row.locator('[data-version="1"]').waitFor();
        await row.locator('[data-placeholder="date"]').waitFor();

        await row.getByRole('button', { name: 'Edit' }).click();
        await page.getByRole('heading', { name: 'Edit “Appointment” (version 1)' }).waitFor();
        await text.fill(TEMPLATE_TEXT);
        await page.getByRole('button', { name: 'Save as version 2' }).click();
        await page.getByText('Template “Appointment” saved: version 2.').waitFor();
        await row.locator('[data-version="2"]').waitFor();

        await page.getByLabel('Name', { exact: true }).fill('Spare');
        await text.fill('No placeholders here.');
        await page.getByRole('button', { name: 'Create template' }).click();
        const rows = page.locator('tr[data-template]');
        await waitUntil('two templates listed', async () => (await rows.count()) === 2);
        await page.getByLabel('Search').fill('appoint');
        await waitUntil('the search to list one', async () => (await rows.count()) === 1);
        await page.getByLabel('Search').fill('');
        await waitUntil('both listed again', async () => (await rows.count()) === 2);
        await shot(page, '17-templates');
        await page
          .locator('tr[data-template]', { hasText: 'Spare' })
          .getByRole('button', { name: 'Delete' })
          .click();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete template' }).click();
        await page.getByText('Template “Spare” deleted.').waitFor();
        await waitUntil('one template left', async () => (await rows.count()) === 1);
      },
    );

    await step('compose with the template: the preview renders as values are typed', async () => {
      await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      await page
        .getByLabel('Template', { exact: true })
        .selectOption({ label: 'Appointment (v2)' });
      const preview = page.locator('#template-preview');
      await preview.getByText('Dear {{name}}').waitFor();
      assert(
        !(await page.getByLabel('Message', { exact: true }).isVisible()),
        'the message box is shown beside a template',
      );
      await page.locator('[data-sample="name"]').fill('Chan');
      await page.locator('[data-sample="date"]').fill('3 Dec');
      const expected = 'Dear Chan, your appointment is on 3 Dec. Reply STOP to opt out.';
      await waitUntil(
        `the preview to read "${expected}"`,
        async () => (await preview.textContent()) === expected,
      );
      const counter = (await page.locator('#template-counter').textContent()) ?? '';
      assert(counter.includes('GSM-7') && counter.includes('1 SMS part'), `counter: "${counter}"`);
      await shot(page, '18-compose-template-preview');
    });

    const csvDir = mkdtempSync(join(tmpdir(), 'smspanel-csv-'));
    const CSV_ROWS = [
      ['+852 9123 4601', 'Chan', '3 Dec'],
      ['+852 9123 4602', 'Wong', '"4 Dec, 10:00"'],
      ['+852 9123 4603', 'Lee', '5 Dec'],
      ['+852 9123 4604', 'Ho', '6 Dec'],
    ];
    const writeCsv = (name: string, rows: string[][]) => {
      const path = join(csvDir, name);
      writeFileSync(path, ['phone,name,date', ...rows.map((r) => r.join(','))].join('\n'));
      return path;
    };
    await step(
      'CSV upload: the dry-run report names the invalid row, and Send is blocked',
      async () => {
        const bad = CSV_ROWS.map((r) => [...r]);
        bad[1][0] = '12ab'; // row 3 of the file: the header is row 1
        const path = writeCsv('appointments.csv', bad);
        const report = page.locator('.csv-report');
        // Dropped on the zone: a DataTransfer made in the page carries the file's text.
        // (A string expression: this file is type-checked with Node's types, not the DOM's.)
        const dropped = await page.evaluateHandle(
          `(() => {
            const dt = new DataTransfer();
            dt.items.add(new File([${JSON.stringify(readFileSync(path, 'utf8'))}], 'dropped.csv'));
            return dt;
          })()`,
        );
        await page.locator('.drop-zone').dispatchEvent('drop', { dataTransfer: dropped });
        await page.locator('.csv-file').getByText('dropped.csv').waitFor();
        await report.locator('[data-fact="invalid"] dd').getByText('1', { exact: true }).waitFor();
        await page.locator('#csv-file').setInputFiles(path);
        await page.locator('.csv-file').getByText('appointments.csv').waitFor();
        await report.locator('[data-fact="invalid"] dd').getByText('1', { exact: true }).waitFor();
        const facts = async (key: string) =>
          (await report.locator(`[data-fact="${key}"] dd`).textContent())?.trim();
        assert((await facts('rows')) === '4', `rows: ${await facts('rows')}`);
        assert((await facts('valid')) === '3', `valid: ${await facts('valid')}`);
        const error = report.locator('.csv-errors tr[data-row="3"]');
        await error.getByText('phone', { exact: true }).waitFor();
        assert(
          !(await page.getByLabel('Recipients', { exact: true }).isVisible()),
          'the recipients box is shown beside a CSV file',
        );
        const send = page.getByRole('button', { name: /^Send/ });
        assert(await send.isDisabled(), 'Send is enabled with an invalid row');
        await page.locator('#send-blocked').getByText('1 invalid row(s)').waitFor();
        await shot(page, '19-csv-invalid-row');
        // Skipping the invalid rows would let the valid ones go.
        const skip = page.getByLabel(/Skip the invalid rows/);
        await skip.check();
        await page.getByRole('button', { name: 'Send to 3 recipients' }).waitFor();
        assert(!(await send.isDisabled()), 'Send stays blocked with skip_invalid ticked');
        await skip.uncheck();
        assert(await send.isDisabled(), 'Send is enabled again without skip_invalid');
      },
    );

    await step(
      'CSV upload: the corrected file checks clean; Send opens the job with personalised texts',
      async () => {
        const requestsBefore = gw!.requests.length;
        await page.locator('#csv-file').setInputFiles(writeCsv('appointments-fixed.csv', CSV_ROWS));
        const report = page.locator('.csv-report');
        await report.locator('[data-fact="valid"] dd').getByText('4', { exact: true }).waitFor();
        assert((await report.locator('.csv-errors').count()) === 0, 'errors listed');
        await report
          .locator('.csv-preview')
          .getByText('Dear Wong, your appointment is on 4 Dec, 10:00. Reply STOP to opt out.')
          .waitFor();
        await shot(page, '20-csv-clean-report');
        await page.getByRole('button', { name: 'Send to 4 recipients' }).click();
        await page.getByRole('heading', { name: /^Job #\d+$/, level: 1 }).waitFor();
        await page.locator('[data-fact="recipients"] dd').getByText('4', { exact: true }).waitFor();
        await page.locator('[data-fact="personalised"] dd').getByText(/^yes/).waitFor();
        await page.locator('[data-fact="template"] dd').getByText('version 2').waitFor();
        const rows = page.locator('table tbody tr[data-recipient-id]');
        await waitUntil('four recipient rows', async () => (await rows.count()) === 4);
        await page
          .locator('tr', { hasText: '+85291234603' })
          .getByText('Dear Lee, your appointment is on 5 Dec. Reply STOP to opt out.')
          .waitFor();
        await page.locator('[data-fact="status"] [data-status="completed"]').waitFor({
          timeout: 20_000,
        });
        const sent = gw!.requests.slice(requestsBefore);
        const chan = sent.find((r) => r.to === '+85291234601');
        assert(
          sent.length === 4 && chan?.text.startsWith('Dear Chan, your appointment is on 3 Dec.'),
          `the gateway got ${JSON.stringify(sent.map((r) => [r.to, r.text]))}`,
        );
        await shot(page, '21-csv-job');
        rmSync(csvDir, { recursive: true, force: true });
      },
    );

    await step("job page: Export recipients (CSV) downloads the job's recipients", async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export recipients (CSV)' }).click(),
      ]);
      const file = await download.path();
      const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
      assert(
        /^job-\d+-recipients\.csv$/.test(download.suggestedFilename()),
        download.suggestedFilename(),
      );
      assert(lines[0].startsWith('id,phone,status,attempts'), `header: ${lines[0]}`);
      assert(lines.length === 5, `${lines.length - 1} rows exported`);
      assert(
        lines.some((l) => l.includes('+85291234603') && l.includes(',sent,')),
        `rows: ${lines.slice(1).join(' | ')}`,
      );
    });

    await step('admin changes the rate in Queue control; the queue card shows it', async () => {
      await logout(page);
      await login(page, BENCH_ADMIN.username, BENCH_ADMIN.password);
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      await page.getByRole('link', { name: 'Queue control' }).click();
      await page.getByRole('heading', { name: 'Queue control', level: 1 }).waitFor();
      const rateField = page.getByLabel('Rate (SMS per second)');
      await waitUntil(
        'the rate field to be filled',
        async () => (await rateField.inputValue()) !== '',
      );
      assert((await rateField.inputValue()) === String(RATE), 'rate field not prefilled');
      await rateField.fill(String(NEW_RATE));
      await page.getByRole('button', { name: 'Save rate limit' }).click();
      await page.getByText(`Rate limit saved: ${NEW_RATE} SMS per second`).waitFor();
      await page.locator('[data-card="rate"] .card-value').getByText(`${NEW_RATE}/s`).waitFor();
      const res = await app!.api<{ data: { msgs_per_sec: number } }>(
        'GET',
        '/api/admin/rate-limit',
      );
      assert(res.body.data.msgs_per_sec === NEW_RATE, `API rate is ${res.body.data.msgs_per_sec}`);
      await shot(page, '10-rate-changed');
      await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
      await page.locator('[data-card="rate"] .card-value').getByText(`${NEW_RATE}/s`).waitFor();
    });

    await step('a job scheduled an hour ahead is listed as scheduled, then cancelled', async () => {
      const requestsBefore = gw!.requests.length;
      // datetime-local takes the browser's local time, which is this process's.
      const later = new Date(Date.now() + 3_600_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      const local = `${later.getFullYear()}-${pad(later.getMonth() + 1)}-${pad(later.getDate())}T${pad(later.getHours())}:${pad(later.getMinutes())}`;
      await page.getByLabel('Recipients', { exact: true }).fill(NUMBERS.slice(0, 2).join('\n'));
      await page.getByLabel('Message', { exact: true }).fill('See you in an hour.');
      await page.getByLabel('Send at (optional)').fill(local);
      await page.getByRole('button', { name: 'Send to 2 recipients' }).click();
      const result = page.locator('.compose .result');
      await result.getByText('scheduled').waitFor();
      const text = (await result.textContent()) ?? '';
      const m = /Job #(\d+) scheduled: 2 SMS for/.exec(text);
      assert(m, `send result says "${text}"`);
      const scheduled = page.locator('section[aria-labelledby="scheduled-h"]');
      const row = scheduled.locator(`tr[data-job-id="${m[1]}"]`);
      await row.locator('[data-status="scheduled"]').waitFor();
      await shot(page, '09b-scheduled');
      await row.getByRole('button', { name: 'Cancel' }).click();
      await scheduled.getByText('Nothing scheduled.').waitFor();
      await page
        .locator(
          `section[aria-labelledby="jobs-h"] tr[data-job-id="${m[1]}"] [data-status="cancelled"]`,
        )
        .waitFor();
      assert(gw!.requests.length === requestsBefore, 'the scheduled job sent SMS');
    });

    await step(
      'quiet hours: a job outside its send window waits; its page shows the window',
      async () => {
        const requestsBefore = gw!.requests.length;
        const pad = (n: number) => String(n).padStart(2, '0');
        // The browser's local time and zone are this process's: a window closed for two hours.
        const hhmm = (ms: number) => {
          const d = new Date(ms);
          return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
        };
        const [start, end] = [hhmm(Date.now() + 2 * 3_600_000), hhmm(Date.now() + 3 * 3_600_000)];
        await page.getByLabel('Recipients', { exact: true }).fill(NUMBERS[5]);
        await page.getByLabel('Message', { exact: true }).fill('Not before the shop opens.');
        await page.getByLabel('Send window').selectOption('between');
        await page.locator('input[name="window_start"]').fill(start);
        await page.locator('input[name="window_end"]').fill(end);
        await page
          .getByLabel('Time zone of the hours (IANA name)')
          .fill(Intl.DateTimeFormat().resolvedOptions().timeZone);
        await page.getByRole('button', { name: 'Send', exact: true }).click();
        const result = page.locator('.compose .result');
        await result.getByText('queued').waitFor();
        const id = /Job #(\d+)/.exec((await result.textContent()) ?? '')?.[1];
        assert(id, 'no job number in the send result');
        await page.getByRole('link', { name: `#${id}`, exact: true }).click();
        await page.getByRole('heading', { name: `Job #${id}`, level: 1 }).waitFor();
        await page.locator('[data-fact="send-window"] dd').getByText(`${start}–${end}`).waitFor();
        const opens = (await page.locator('[data-fact="next-window"] dd').textContent()) ?? '';
        assert(opens.trim() !== '—' && opens.trim() !== '', `window opens: "${opens}"`);
        await shot(page, '09c-send-window');
        const res = await app!.api('POST', `/api/sms/${id}/cancel`);
        assert(res.status === 200, `cancel answered ${res.status}`);
        assert(gw!.requests.length === requestsBefore, 'the job sent SMS outside its window');
        await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
      },
    );

    await step('admin pauses sending, cancels a waiting job in the dialog, resumes', async () => {
      await page.getByRole('link', { name: 'Queue control', exact: true }).click();
      await page.getByRole('button', { name: 'Pause sending' }).click();
      await page.locator('[data-card="paused"] .card-value').getByText('Paused').waitFor();
      await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
      await page.getByLabel('Recipients', { exact: true }).fill(NUMBERS.slice(0, 3).join('\n'));
      await page.getByLabel('Message', { exact: true }).fill('This one will be cancelled.');
      await page.getByRole('button', { name: 'Send to 3 recipients' }).click();
      await page
        .locator('.compose .result')
        .getByRole('link', { name: /View job/ })
        .click();
      await page.getByRole('heading', { name: /^Job #\d+$/, level: 1 }).waitFor();
      await page.locator('[data-fact="status"] [data-status="pending"]').waitFor();
      await page.getByRole('button', { name: 'Cancel job' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      await shot(page, '11-cancel-dialog');
      await dialog.getByRole('button', { name: 'Cancel job' }).click();
      await page.locator('[data-fact="status"] [data-status="cancelled"]').waitFor();
      await page.getByRole('link', { name: 'Queue control', exact: true }).click();
      await page.getByRole('button', { name: 'Resume sending' }).click();
      await page.locator('[data-card="paused"] .card-value').getByText('Running').waitFor();
    });

    await step(
      'a finally failed SMS is listed in Dead letters and retried from there',
      async () => {
        const bad = '+85291234599';
        gw!.script(bad, [{ status: 400, body: 'invalid destination' }]);
        await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
        await page.getByLabel('Recipients', { exact: true }).fill(bad);
        await page.getByLabel('Message', { exact: true }).fill('This one fails first.');
        await page.getByRole('button', { name: 'Send', exact: true }).click();
        await page.locator('.compose .result').getByText('queued').waitFor();
        const text = (await page.locator('.compose .result').textContent()) ?? '';
        const id = /Job #(\d+)/.exec(text)?.[1];
        assert(id, `send result says "${text}"`);
        await page
          .locator(`tr[data-job-id="${id}"] [data-status="failed"]`)
          .waitFor({ timeout: 20_000 });
        await page.getByRole('link', { name: 'Dead letters', exact: true }).click();
        const row = page.locator('tr', { hasText: bad });
        await row.getByText('HTTP 400: invalid destination').waitFor();
        await shot(page, '12-dead-letters');
        await row.getByRole('button', { name: `Retry job #${id}` }).click();
        await page.getByText(`Job #${id}: 1 recipient(s) queued again.`).waitFor();
        await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
        await page
          .locator(`tr[data-job-id="${id}"] [data-status="completed"]`)
          .waitFor({ timeout: 20_000 });
      },
    );

    await step('admin disables a user and resets a password in the dialog', async () => {
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      const row = page.locator(`tr[data-user="${USER.username}"]`);
      await row.getByRole('button', { name: 'Disable' }).click();
      await row.getByText('disabled', { exact: true }).waitFor();
      await row.getByRole('button', { name: 'Reset password' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('New password').fill('a-brand-new-password');
      await shot(page, '13-reset-password-dialog');
      await dialog.getByRole('button', { name: 'Set password' }).click();
      await page.getByText(`Password of ${USER.username} changed.`).waitFor();
      await row.getByRole('button', { name: 'Enable' }).click();
      await row.getByText('active', { exact: true }).waitFor();
      const login = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: USER.username, password: 'a-brand-new-password' }),
      });
      assert(login.status === 200, `login with the new password answered ${login.status}`);
    });

    await step('admin gives a user the urgent right and a weight; they show', async () => {
      const row = page.locator(`tr[data-user="${USER.username}"]`);
      await row.locator('[data-urgent="false"]').waitFor();
      await row.getByRole('button', { name: 'Urgent & weight' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('May send urgent SMS').check();
      await dialog.getByLabel('Weight').fill('5');
      await shot(page, '13b-urgent-and-weight-dialog');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await page.getByText(`${USER.username}: may send urgent SMS, weight 5.`).waitFor();
      await row.locator('[data-urgent="true"]').waitFor();
      await row.locator('[data-weight="5"]').waitFor();
      const login = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: USER.username, password: 'a-brand-new-password' }),
      });
      const { data } = (await login.json()) as {
        data: { user: { can_send_urgent: boolean; weight: number } };
      };
      assert(
        data.user.can_send_urgent && data.user.weight === 5,
        `the user is now ${JSON.stringify(data.user)}`,
      );
      // An admin's compose form offers the urgent lane.
      await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
      await page.getByLabel(/Urgent: send/).waitFor();
      // Back where the next step expects to start (it measures a fresh Dashboard render).
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    });

    await step(
      'admin suppression page: add, import a CSV with an invalid row, find, remove; a send to a suppressed number is not made',
      async () => {
        const stop = '+85291234777';
        const imported = '+85291234778';
        await page.getByRole('link', { name: 'Suppressions', exact: true }).click();
        await page.getByRole('heading', { name: 'Suppression list', level: 1 }).waitFor();
        await page.getByLabel('Phone number').fill('+852 9123 4777');
        await page.getByLabel('Reason (optional)').fill('Replied STOP');
        await page.getByRole('button', { name: 'Suppress', exact: true }).click();
        await page.getByText(`${stop} is suppressed: it will not be sent to.`).waitFor();
        await page.locator('tr', { hasText: stop }).getByText('Replied STOP').waitFor();
        const dir = mkdtempSync(join(tmpdir(), 'smspanel-suppress-'));
        const file = join(dir, 'opt-outs.csv');
        writeFileSync(
          file,
          `phone,reason\n${imported},web form\nnot-a-number,typo\n${stop},again\n`,
        );
        await page.getByLabel('CSV file').setInputFiles(file);
        await page.getByRole('button', { name: 'Import CSV' }).click();
        await page
          .getByText('Imported: 1 added, 1 already on the list, 1 invalid row(s) skipped.')
          .waitFor();
        await page
          .locator('.import-errors')
          .getByText(/^Row 3: /)
          .waitFor();
        rmSync(dir, { recursive: true, force: true });
        await page.getByLabel('Number starts with').fill('+85291234778');
        await page.getByRole('button', { name: 'Find' }).click();
        await waitUntil(
          'the search to list the imported number only',
          async () => (await page.locator('.suppressions tbody tr').count()) === 1,
        );
        await page.locator('tr', { hasText: imported }).getByText('web form').waitFor();
        await shot(page, '14c-suppressions');
        // A send to the imported number: stored suppressed, nothing reaches the gateway.
        const before = gw!.requests.length;
        await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
        await page.getByLabel('Recipients', { exact: true }).fill(imported);
        await page.getByLabel('Message', { exact: true }).fill('Not to an opted-out number.');
        await page.getByRole('button', { name: 'Send', exact: true }).click();
        await page
          .locator('.compose .result')
          .getByRole('link', { name: /View job/ })
          .click();
        await page.locator('tr', { hasText: imported }).getByText('Suppressed').waitFor();
        assert(
          !gw!.requests.slice(before).some((r) => r.to === imported),
          'the suppressed number reached the gateway',
        );
        // Taken off the list in the dialog.
        await page.getByRole('link', { name: 'Suppressions', exact: true }).click();
        await page.locator('tr', { hasText: stop }).getByRole('button', { name: 'Remove' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
        await page.getByText(`${stop} was taken off the list.`).waitFor();
        await waitUntil(
          'the removed number to leave the list',
          async () => (await page.locator('tr', { hasText: stop }).count()) === 0,
        );
      },
    );

    await step('admin All messages: Export CSV downloads the filtered listing', async () => {
      await page.getByRole('link', { name: 'All messages', exact: true }).click();
      await page.getByRole('heading', { name: 'All messages', level: 1 }).waitFor();
      await page.getByLabel('Status').selectOption('cancelled');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV (these filters)' }).click(),
      ]);
      const rows = parseCsv(readFileSync(await download.path(), 'utf8'), {
        columns: true,
      }) as Record<string, string>[];
      assert(rows.length >= 1, 'no row exported');
      assert(
        rows.every((r) => r.job_status === 'cancelled'),
        `rows: ${JSON.stringify(rows.map((r) => r.job_status))}`,
      );
      // Back where the next step expects to start.
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    });

    await step('phone-width screen: no sideways scrolling, tables become cards', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
      await page.locator('[data-card="rate"]').waitFor();
      // A string expression: this file is type-checked with Node's types, not the DOM's.
      const overflow = (await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )) as number;
      assert(overflow <= 1, `the page is ${overflow}px wider than the screen`);
      await shot(page, '14-phone-dashboard');
      await page.getByRole('link', { name: 'All messages', exact: true }).click();
      const row = page.locator(`tr[data-job-id="${jobId}"]`);
      await row.getByText(USER.username).waitFor();
      const overflow2 = (await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )) as number;
      assert(overflow2 <= 1, `All messages is ${overflow2}px wider than the screen`);
      await shot(page, '15-phone-admin-messages');
      await page.getByRole('link', { name: 'Templates', exact: true }).click();
      await page.getByRole('heading', { name: 'Templates', level: 1 }).waitFor();
      await page.getByText('No templates yet').waitFor();
      // A listed template: its table row becomes a card too.
      await page.getByLabel('Name', { exact: true }).fill('Phone check');
      await page.getByLabel('Text', { exact: true }).fill(TEMPLATE_TEXT);
      await page.getByRole('button', { name: 'Create template' }).click();
      await page.locator('tr[data-template]', { hasText: 'Phone check' }).waitFor();
      const overflow3 = (await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      )) as number;
      assert(overflow3 <= 1, `Templates is ${overflow3}px wider than the screen`);
      await shot(page, '15b-phone-templates');
    });

    await step('no script errors or CSP violations in the page', async () => {
      assert(pageProblems.length === 0, pageProblems.join('\n'));
    });
  } catch (err) {
    failed = true;
    results.push({ name: 'setup', ok: false, ms: 0, error: String(err) });
    console.log(`✗ setup: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
    if (failed) app?.dumpOutput('a browser test step failed');
    await app?.stop();
    await gw?.stop();
    await rx?.stop();
    await db?.drop();
  }

  const passed = results.filter((r) => r.ok === true).length;
  const failedCount = results.filter((r) => r.ok === false).length;
  const skipped = results.filter((r) => r.ok === null).length;
  console.log(`\nscreenshots in ${ARTIFACTS}`);
  console.log(`${passed} passed, ${failedCount} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failedCount > 0 ? 1 : 0;
}

runBench(main);
