/**
 * The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core, against the built app (dist/src/main.js) on a fresh database, sending through
 * a local fake SMS gateway at 5 SMS/s.
 *
 * Steps: GET / and its security headers; the admin logs in (after a wrong password); creates a
 * user in the Users page; the user logs in with the keyboard, composes a 10-recipient job
 * (pasted CSV column) and watches its progress bar reach 100 %; the job page lists the
 * recipients; the admin changes the rate in Queue control and the queue card shows it; the page
 * fits a phone-width screen; no script error or CSP violation on the way.
 * Screenshots of each step go to test/artifacts/ (gitignored).
 *
 * Run: npm run test:browser (builds, bundles this file to dist/test/browser/ and runs it there;
 * DATABASE_URL=postgres://... to use a server instead of an embedded PostgreSQL).
 * Ends with "N passed, N failed" and exit code 1 when a step failed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
// Bundled from dist/test/browser/, so these modules' `import.meta.url` paths (../../src/main.js
// for the app, ../../../ for the project root) resolve exactly as from dist/bench/lib/.
import { type AppProcess, BENCH_ADMIN, startApp } from '../../bench/lib/app-process.js';
import { type BenchDatabase, benchDatabase } from '../../bench/lib/bench-db.js';
import { runBench } from '../../bench/lib/cleanup.js';
import { FakeGateway } from '../../bench/lib/fake-gateway.js';

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
    app = await startApp(
      {
        DATABASE_URL: db.url,
        SMS_PROVIDER: 'http',
        SMS_BASE_URL: gw.url,
        SMS_RATE_PER_SEC: String(RATE),
        SMS_BURST_CAPACITY: '2',
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
      assert(
        (await page.getByRole('button', { name: 'Cancel job' }).isDisabled()) === true,
        'cancel is enabled on a completed job',
      );
      const rows = page.locator('table tbody tr');
      assert((await rows.count()) === 10, `${await rows.count()} recipient rows`);
      await shot(page, '09-job-detail');
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
