/**
 * The public REST API as the dashboard uses it (shared/spec/API.md): every JSON answer is an
 * envelope, `{success: true, data}` or `{success: false, error: {code, message, details?}}`.
 */

export type JobStatus = 'pending' | 'sending' | 'completed' | 'partial' | 'failed' | 'cancelled';
export type RecipientStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';

export const JOB_STATUSES: JobStatus[] = [
  'pending',
  'sending',
  'completed',
  'partial',
  'failed',
  'cancelled',
];
export const RECIPIENT_STATUSES: RecipientStatus[] = [
  'pending',
  'sending',
  'sent',
  'failed',
  'cancelled',
];
export const UNFINISHED: readonly JobStatus[] = ['pending', 'sending'];

export interface ErrorDetail {
  field?: string;
  value?: unknown;
  message: string;
}

export interface SessionUser {
  id: number;
  username: string;
  is_admin: boolean;
}

export interface LoginAnswer {
  token: string;
  token_type: 'Bearer';
  expires_at: string;
  user: SessionUser;
}

export interface Me extends SessionUser {
  is_active: boolean;
  created_at: string;
}

export interface User {
  id: number;
  username: string;
  is_admin: boolean;
  is_active: boolean;
  created_at: string;
}

export interface Page {
  total: number;
  pages: number;
  current_page: number;
}

export interface QueueStatus {
  queue_depth: number;
  pending_messages: number;
  sending_messages: number;
  oldest_pending_at: string | null;
  msgs_per_sec: number;
  burst_capacity: number;
  tokens_available: number;
  observed_msgs_per_sec: number;
  estimated_drain_seconds: number;
  paused: boolean;
  workers: number;
  user?: {
    pending_messages: number;
    pending_recipients: number;
    next_estimated_complete_at: string | null;
  };
}

export interface ThroughputPoint {
  second: string;
  requests: number;
  sent: number;
  failed: number;
}

export interface MessageSummary {
  id: number;
  content: string;
  status: string;
  job_status: JobStatus;
  created_at: string;
  recipient_count: number;
  adhoc: boolean;
  progress_percent: number;
  queue_position: number | null;
  estimated_complete_at: string | null;
  user_id?: number | null;
  owner_username?: string | null;
}

export interface MessageList extends Page {
  messages: MessageSummary[];
}

export interface MessageDetail {
  id: number;
  content: string;
  status: string;
  job_status: JobStatus;
  adhoc: boolean;
  created_at: string;
  started_at: string | null;
  sent_at: string | null;
  completed_at: string | null;
  recipient_count: number;
  success_count: number;
  failed_count: number;
  pending_count: number;
  cancelled_count: number;
  duplicates_removed: number;
  progress_percent: number;
  segments: number;
  encoding: 'gsm7' | 'ucs2';
  queue_position: number | null;
  estimated_complete_at: string | null;
}

export interface Accepted {
  id: number;
  job_status: JobStatus;
  total?: number;
  recipient?: string;
  duplicates_removed?: number;
  segments: number;
  encoding: 'gsm7' | 'ucs2';
  queue_position: number | null;
  estimated_complete_at: string | null;
}

export interface Recipient {
  id: number;
  phone: string;
  status: RecipientStatus;
  attempts: number;
  error_message: string | null;
  sent_at: string | null;
}

export interface RecipientList extends Page {
  recipients: Recipient[];
}

export interface DeadLetter {
  id: number;
  message_id: number;
  phone: string;
  attempts: number;
  error_message: string | null;
  failed_at: string;
  owner_id: number | null;
  owner_username: string | null;
}

export interface DeadLetterList extends Page {
  recipients: DeadLetter[];
}

export interface RateLimit {
  msgs_per_sec: number;
  burst_capacity: number;
}

/** An error answer of the API (or a failure to reach it), ready to be shown. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
}

/** Called when an authenticated request answers 401: the session ended or the user was disabled. */
let onUnauthorized: (err: ApiError) => void = () => undefined;
let token: string | null = null;

export function setToken(value: string | null): void {
  token = value;
}

export function setUnauthorizedHandler(handler: (err: ApiError) => void): void {
  onUnauthorized = handler;
}

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function request<T>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(url(path, opts.query), { method, headers, body });
  } catch {
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'The server cannot be reached. Check your connection and try again.',
    );
  }
  if (res.status === 204) return undefined as T;
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new ApiError(res.status, 'HTTP_ERROR', `The server answered HTTP ${res.status}.`);
  }
  const envelope = json as {
    success?: boolean;
    data?: T;
    error?: { code?: string; message?: string; details?: ErrorDetail[]; request_id?: string };
  };
  if (res.ok && envelope.success !== false) return envelope.data as T;
  const e = envelope.error ?? {};
  const err = new ApiError(
    res.status,
    e.code ?? 'HTTP_ERROR',
    e.message ?? `The server answered HTTP ${res.status}.`,
    Array.isArray(e.details) ? e.details : [],
    e.request_id ?? res.headers.get('x-request-id') ?? undefined,
  );
  if (res.status === 401 && headers.authorization) onUnauthorized(err);
  throw err;
}

export const api = {
  login: (username: string, password: string) =>
    request<LoginAnswer>('POST', '/api/auth/login', { body: { username, password } }),
  me: () => request<Me>('GET', '/api/auth/me'),

  queueStatus: () => request<QueueStatus>('GET', '/api/queue/status'),
  throughput: (seconds: number) =>
    request<{ points: ThroughputPoint[] }>('GET', '/api/queue/throughput', {
      query: { seconds },
    }),

  listJobs: (query: Query) => request<MessageList>('GET', '/api/sms', { query }),
  job: (id: number) => request<MessageDetail>('GET', `/api/sms/${id}`),
  recipients: (id: number, query: Query) =>
    request<RecipientList>('GET', `/api/sms/${id}/recipients`, { query }),
  sendOne: (body: { recipient: string; content: string; adhoc: boolean }, key: string) =>
    request<Accepted>('POST', '/api/sms', { body, headers: { 'idempotency-key': key } }),
  sendBulk: (body: { recipients: string[]; content: string; adhoc: boolean }, key: string) =>
    request<Accepted>('POST', '/api/sms/send-bulk', {
      body,
      headers: { 'idempotency-key': key },
    }),
  cancel: (id: number) => request<MessageDetail>('POST', `/api/sms/${id}/cancel`),
  retry: (id: number) => request<MessageDetail>('POST', `/api/sms/${id}/retry`),

  users: (query: Query) => request<Page & { users: User[] }>('GET', '/api/admin/users', { query }),
  createUser: (body: { username: string; password: string; is_admin: boolean }) =>
    request<{ user: User; token: string }>('POST', '/api/admin/users', { body }),
  updateUser: (id: number, body: { password?: string; is_active?: boolean; is_admin?: boolean }) =>
    request<User>('PATCH', `/api/admin/users/${id}`, { body }),
  deleteUser: (id: number) => request<void>('DELETE', `/api/admin/users/${id}`),
  rotateUserToken: (id: number) =>
    request<{ token: string }>('POST', `/api/admin/users/${id}/token`),

  allMessages: (query: Query) => request<MessageList>('GET', '/api/admin/messages', { query }),
  deadLetters: (query: Query) =>
    request<DeadLetterList>('GET', '/api/admin/dead-letter', { query }),
  rateLimit: () => request<RateLimit>('GET', '/api/admin/rate-limit'),
  setRateLimit: (body: RateLimit) => request<RateLimit>('PUT', '/api/admin/rate-limit', { body }),
  pause: () => request<QueueStatus>('POST', '/api/admin/queue/pause'),
  resume: () => request<QueueStatus>('POST', '/api/admin/queue/resume'),
};
