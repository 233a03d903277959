/**
 * The benches' calls into the app under test: bulk submit, job detail and the wait for a job
 * to finish, queue status, and what the fake gateway received against what was submitted.
 */
import type { AppProcess } from '../../test/support/app-process.js';
import type { ReceivedRequest } from '../../test/support/fake-gateway.js';
import { nowMs, round, sleep } from './util.js';

export const FINAL_STATUSES = ['completed', 'partial', 'failed', 'cancelled', 'expired'];

export interface Accepted {
  id: number;
  total: number;
  duplicates_removed: number;
  queue_position: number | null;
  estimated_complete_at: string | null;
}

export interface Submitted extends Accepted {
  /** Just before the request was sent, and when its answer was in (nowMs clock). */
  submittedAt: number;
  acceptedAt: number;
  /** acceptedAt - submittedAt. */
  ms: number;
  kb: number;
}

/**
 * POST /api/sms/send-bulk, the body serialised before the clock starts, as the bench admin or
 * with `token` (a user's); throws unless 202 with every recipient accepted (the numbers must
 * be distinct).
 */
export async function submitBulk(
  api: AppProcess,
  recipients: string[],
  content: string,
  token?: string,
): Promise<Submitted> {
  const body = JSON.stringify({ recipients, content });
  const submittedAt = nowMs();
  const res = token
    ? await callAs<{ data: Accepted }>(api, token, 'POST', '/api/sms/send-bulk', body)
    : await api.api<{ data: Accepted }>('POST', '/api/sms/send-bulk', body);
  const acceptedAt = nowMs();
  const ms = acceptedAt - submittedAt;
  if (res.status !== 202) {
    throw new Error(
      `send-bulk (${content}): HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)} after ${round(ms, 1)} ms`,
    );
  }
  const data = res.body.data;
  if (data.total !== recipients.length || data.duplicates_removed !== 0) {
    throw new Error(
      `send-bulk (${content}): total ${data.total}, duplicates_removed ${data.duplicates_removed}, ` +
        `expected ${recipients.length} and 0`,
    );
  }
  return { ...data, submittedAt, acceptedAt, ms, kb: Math.round(body.length / 1024) };
}

export interface JobDetail {
  id: number;
  job_status: string;
  recipient_count: number;
  success_count: number;
  failed_count: number;
  pending_count: number;
  cancelled_count: number;
  queue_position: number | null;
  estimated_start_at?: string | null;
  estimated_complete_at: string | null;
  completed_at: string | null;
  expired_count: number;
}

/** GET /api/sms/:id as the bench admin or with `token` (a user sees only their own jobs). */
export async function jobDetail(api: AppProcess, id: number, token?: string): Promise<JobDetail> {
  const res = token
    ? await callAs<{ data: JobDetail }>(api, token, 'GET', `/api/sms/${id}`)
    : await api.api<{ data: JobDetail }>('GET', `/api/sms/${id}`);
  if (res.status !== 200) throw new Error(`GET /api/sms/${id}: HTTP ${res.status}`);
  return res.body.data;
}

/**
 * Polls the job (as the bench admin or with its owner's `token`) until it is final or
 * `timeoutMs` has passed; its last detail either way.
 */
export async function waitForJob(
  api: AppProcess,
  id: number,
  timeoutMs = 20_000,
  everyMs = 100,
  token?: string,
): Promise<JobDetail> {
  const started = nowMs();
  let d = await jobDetail(api, id, token);
  while (!FINAL_STATUSES.includes(d.job_status) && nowMs() - started < timeoutMs) {
    await sleep(everyMs);
    d = await jobDetail(api, id, token);
  }
  return d;
}

export interface QueueStatus {
  queue_depth: number;
  msgs_per_sec: number;
  burst_capacity: number;
  tokens_available: number;
  paused: boolean;
  workers: number;
}

export async function queueStatus(api: AppProcess): Promise<QueueStatus> {
  const res = await api.api<{ data: QueueStatus }>('GET', '/api/queue/status');
  if (res.status !== 200) throw new Error(`GET /api/queue/status: HTTP ${res.status}`);
  return res.body.data;
}

/** What reached the gateway against the numbers submitted. */
export function deliveries(requests: readonly ReceivedRequest[], numbers: readonly string[]) {
  const perNumber = new Map<string, number>();
  for (const r of requests) perNumber.set(r.to, (perNumber.get(r.to) ?? 0) + 1);
  const known = new Set(numbers);
  return {
    perNumber,
    missing: numbers.filter((n) => !perNumber.has(n)),
    /** [number, times] of the numbers that arrived more than once. */
    repeated: [...perNumber].filter(([, c]) => c > 1),
    strangers: [...perNumber.keys()].filter((n) => !known.has(n)),
  };
}

/** "n×c, ..." of repeated numbers, for failure lines. */
export const timesText = (repeated: [string, number][]) =>
  repeated.map(([n, c]) => `${n}×${c}`).join(', ');

/** A user made through the admin API, with its API token. */
export interface BenchUser {
  id: number;
  username: string;
  weight: number;
  token: string;
}

/**
 * POST /api/admin/users as the bench admin: a normal user (no urgent right, as every new
 * user) of the given weight (1-100, default 1).
 */
export async function createUser(
  api: AppProcess,
  username: string,
  weight = 1,
  password = `${username}-bench-password`,
): Promise<BenchUser> {
  const res = await api.api<{ data: { user: { id: number; weight: number }; token: string } }>(
    'POST',
    '/api/admin/users',
    { username, password, weight },
  );
  if (res.status !== 201 || res.body.data.user.weight !== weight) {
    throw new Error(
      `POST /api/admin/users (${username}): HTTP ${res.status} ${JSON.stringify(res.body)}`,
    );
  }
  return { id: res.body.data.user.id, username, weight, token: res.body.data.token };
}

/** `count` users `<prefix>1..<prefix>count` of weight 1, `parallel` creations at a time. */
export async function createUsers(
  api: AppProcess,
  prefix: string,
  count: number,
  parallel = 4,
): Promise<BenchUser[]> {
  const users: BenchUser[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const k = next++;
        users[k] = await createUser(api, `${prefix}${k + 1}`);
      }
    }),
  );
  return users;
}

/** Any call with another bearer token than the bench admin's (a user's API token). */
export async function callAs<T = unknown>(
  api: AppProcess,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** POST /api/sms as the user: one SMS in the normal lane; throws unless 202. */
export async function sendSms(
  api: AppProcess,
  token: string,
  recipient: string,
  content: string,
): Promise<Submitted> {
  const submittedAt = nowMs();
  const res = await callAs<{ data: Accepted }>(api, token, 'POST', '/api/sms', {
    recipient,
    content,
  });
  const acceptedAt = nowMs();
  if (res.status !== 202)
    throw new Error(`POST /api/sms: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return { ...res.body.data, submittedAt, acceptedAt, ms: acceptedAt - submittedAt, kb: 0 };
}

/** POST /api/admin/queue/pause or resume as the bench admin. */
export async function setPaused(api: AppProcess, paused: boolean): Promise<void> {
  const res = await api.api('POST', `/api/admin/queue/${paused ? 'pause' : 'resume'}`);
  if (res.status !== 200)
    throw new Error(`queue ${paused ? 'pause' : 'resume'}: HTTP ${res.status}`);
}
