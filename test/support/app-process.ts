import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/common/free-port.js';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { onExitSync, onFailure } from './cleanup.js';

export const BENCH_ADMIN = { username: 'SMSadmin', password: 'bench-admin-pw' };

export interface ApiResponse<T = unknown> {
  status: number;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: T;
}

export interface StartAppOptions {
  /** Shown in log prefixes and messages. */
  label?: string;
  /** How long to wait for GET /api/health/ready to answer 200 (default 60 s). */
  readyTimeoutMs?: number;
  /** Extra node flags before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x']. */
  nodeArgs?: string[];
  /** spawnApp: the child is meant to exit by itself (a refused start); its exit is no failure. */
  exitExpected?: boolean;
}

/** A child `node dist/src/main.js`, whether or not it became ready. */
export interface AppChild {
  readonly label: string;
  readonly pid: number;
  /** Sends a signal; the exit that follows counts as expected. */
  kill(signal?: NodeJS.Signals): void;
  /** The exit code (null when ended by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`, default 30 s). */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Everything the child wrote so far, each line prefixed `out| ` or `err| ` (the tail, when very long). */
  output(): string;
  /** Prints output() to stderr under a header; for failures. */
  dumpOutput(reason: string): void;
}

export interface AppProcess extends AppChild {
  readonly baseUrl: string;
  /** Logs in as SMSadmin once and caches the session token. */
  token(): Promise<string>;
  /** fetch with the bearer token. A string body is sent as is (already JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

/** The built app, whether this file runs built (dist/test/support) or from source under jest. */
const BUILT_BESIDE = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const MAIN_JS = existsSync(BUILT_BESIDE)
  ? BUILT_BESIDE
  : fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));
const MAX_OUTPUT_CHARS = 4_000_000;

/** The app's own variables are never inherited from the bench's environment. */
const APP_VARIABLE =
  /^(PORT|DATABASE_URL|DATABASE_POOL_SIZE|DATA_DIR|ADMIN_.*|SESSION_.*|LOGIN_THROTTLE_.*|CORS_ORIGINS|LOG_LEVEL|SMS_.*|QUEUE_.*|RATE_LIMIT_STORE|SHUTDOWN_GRACE_MS|WEBHOOK_.*|EVENT_RETENTION_DAYS)$/;

function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !APP_VARIABLE.test(e[0]),
    ),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns the built app (`node <NODE_FLAGS> dist/src/main.js`, as `npm start` runs it) with the
 * inherited environment minus the app's own variables, a temporary DATA_DIR, LOG_LEVEL warn,
 * MALLOC_ARENA_MAX 2, then `env`;
 * nothing more (no port, no database, no waiting: see startApp). The child's output is kept
 * in memory and printed only on an unexpected exit or a failure. The child is killed if this
 * process dies.
 */
export function spawnApp(
  env: Record<string, string>,
  opts: Omit<StartAppOptions, 'readyTimeoutMs'> = {},
): AppChild {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} not found: run \`npm run build\` first`);
  const label = opts.label ?? 'app';
  const dataDir = mkdtempSync(join(tmpdir(), 'smspanel-bench-app-'));
  // MALLOC_ARENA_MAX as `npm start` and the Dockerfile run the app.
  const childEnv = {
    ...inheritedEnv(),
    LOG_LEVEL: 'warn',
    MALLOC_ARENA_MAX: '2',
    DATA_DIR: dataDir,
    ...env,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [...NODE_FLAGS, ...(opts.nodeArgs ?? []), MAIN_JS],
    {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`spawnApp: could not spawn ${process.execPath}`);
  }
  const pid = child.pid;
  let out = '';
  const keep = (stream: string) => (chunk: Buffer) => {
    out += chunk
      .toString('utf8')
      .split(/(?<=\n)/)
      .map((line) => `${stream}| ${line}`)
      .join('');
    if (out.length > MAX_OUTPUT_CHARS) out = out.slice(out.length - MAX_OUTPUT_CHARS / 2);
  };
  child.stdout!.on('data', keep('out'));
  child.stderr!.on('data', keep('err'));

  let expectedExit = opts.exitExpected ?? false;
  let dumped = false;
  const dumpOutput = (reason: string) => {
    if (dumped) return;
    dumped = true;
    console.error(`\n----- ${label} (pid ${pid}) output: ${reason} -----`);
    // Diagnostics lines (BENCH_TRACE) are read by the bench, not shown.
    const shown = out
      .split('\n')
      .filter((line) => !line.includes('BENCH-TRACE '))
      .join('\n');
    console.error(shown.trimEnd() || '(no output)');
    console.error(`----- end of ${label} output -----\n`);
  };

  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      removeExitHook();
      removeFailureHook();
      rmSync(dataDir, { recursive: true, force: true });
      if (!expectedExit) {
        dumpOutput(`exited unexpectedly (code ${code}, signal ${signal})`);
      }
      resolve(code);
    });
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const removeExitHook = onExitSync(() => {
    if (!hasExited()) child.kill('SIGKILL');
  });

  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    expectedExit = true;
    if (!hasExited()) child.kill(signal);
  };
  const stop = async (timeoutMs = 30_000) => {
    kill('SIGTERM');
    const timer = setTimeout(() => {
      console.error(`[bench] ${label} did not exit ${timeoutMs} ms after SIGTERM: SIGKILL`);
      kill('SIGKILL');
    }, timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  const removeFailureHook = onFailure(async () => {
    dumpOutput('the bench failed');
    await stop(5_000);
  });

  return { label, pid, kill, exited, stop, output: () => out, dumpOutput };
}

/** The child's exit code, or a failure (with its output) when it still runs after `ms`. */
export async function exitCodeWithin(child: AppChild, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${child.label} still running after ${ms} ms:\n${child.output()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the built app on a free port with the given environment (DATABASE_URL is required:
 * benches never let the app start its own database) and the bench admin's password, and
 * resolves once GET /api/health/ready answers 200.
 */
export async function startApp(
  env: Record<string, string>,
  opts: StartAppOptions = {},
): Promise<AppProcess> {
  if (!env.DATABASE_URL) throw new Error('startApp: DATABASE_URL is required');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const child = spawnApp(
    { ADMIN_PASSWORD: BENCH_ADMIN.password, ...env, PORT: String(port) },
    opts,
  );
  const { label, exited, stop, dumpOutput } = child;

  let cachedToken: string | undefined;
  const rawFetch = async (method: string, path: string, body: unknown, token?: string) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  };
  const token = async () => {
    if (cachedToken) return cachedToken;
    const res = await rawFetch('POST', '/api/auth/login', BENCH_ADMIN);
    const t = (res.body as { data?: { token?: string } } | undefined)?.data?.token;
    if (res.status !== 200 || !t) {
      throw new Error(`${label}: login failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
    cachedToken = t;
    return t;
  };

  const app: AppProcess = {
    ...child,
    baseUrl,
    token,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    api: async <T = any>(method: string, path: string, body?: unknown) =>
      (await rawFetch(method, path, body, await token())) as ApiResponse<T>,
  };

  // Ready: the database answers and the migrations are applied.
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  let last = 'no answer yet';
  let gone = false;
  void exited.then(() => (gone = true));
  while (!gone) {
    try {
      const res = await fetch(`${baseUrl}/api/health/ready`, {
        signal: AbortSignal.timeout(2_000),
      });
      last = `HTTP ${res.status} ${await res.text()}`;
      if (res.status === 200) {
        console.log(`[bench] ${label} ready on ${baseUrl} in ${Date.now() - started} ms`);
        return app;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() - started > timeoutMs) {
      dumpOutput(`not ready after ${timeoutMs} ms (last: ${last})`);
      await stop(5_000);
      throw new Error(`${label} not ready after ${timeoutMs} ms (last: ${last})`);
    }
    await sleep(200);
  }
  throw new Error(`${label} exited with code ${await exited} before it was ready`);
}
