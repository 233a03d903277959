/**
 * The public REST API as the dashboard uses it (shared/spec/API.md): every JSON answer is an
 * envelope, `{success: true, data}` or `{success: false, error: {code, message, details?}}`.
 */

import type { components } from './api-types.gen.js';

/** The API's schemas, generated from its OpenAPI document (`npm run gen:web-types`). */
type Schemas = components['schemas'];

export {
  JOB_STATUSES,
  type JobStatus,
  RECIPIENT_STATUSES,
  type RecipientStatus,
  UNFINISHED,
} from '../../src/messages/statuses.js';
export { EVENT_TYPES, DELIVERY_STATUSES } from '../../src/webhooks/event-types.js';

export type ErrorDetail = Schemas['ErrorDetailDto'];
export type SessionUser = Schemas['LoginUserDto'];
export type LoginAnswer = Schemas['LoginResponseDto'];
export type User = Schemas['UserDto'];
export type QueueStatus = Schemas['QueueStatusDto'];
export type ThroughputPoint = Schemas['ThroughputPointDto'];
export type MessageSummary = Schemas['MessageSummaryDto'];
export type MessageList = Schemas['MessageListDto'];
export type MessageDetail = Schemas['MessageDetailDto'];
export type Accepted = Schemas['AcceptedSmsDto'];
export type RecipientList = Schemas['RecipientListDto'];
export type DeadLetter = Schemas['DeadLetterDto'];
export type DeadLetterList = Schemas['DeadLetterListDto'];
export type RateLimit = Schemas['RateLimitDto'];
export type Webhook = Schemas['WebhookDto'];
export type CreatedWebhook = Schemas['CreatedWebhookDto'];
export type Delivery = Schemas['DeliveryDto'];
export type DeliveryList = Schemas['DeliveryListDto'];
export type SmsEvent = Schemas['SmsEventDto'];
export type Template = Schemas['TemplateDto'];
export type TemplateList = Schemas['TemplateListDto'];
export type CsvReport = Schemas['CsvReportDto'];
export type CsvAccepted = Schemas['CsvAcceptedDto'];
export type Suppression = Schemas['SuppressionDto'];
export type SuppressionImport = Schemas['SuppressionImportDto'];

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
  /** The route checks a password: its 401 means a wrong password, not an ended session. */
  checksPassword?: boolean;
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

export function url(path: string, query?: Query): string {
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
  return unwrap<T>(res.status, json, res.headers.get('x-request-id'), {
    authenticated: Boolean(headers.authorization),
    checksPassword: opts.checksPassword,
  });
}

/**
 * The data of an answer's envelope, or its error thrown as an ApiError; shared by fetch
 * requests and XHR uploads (which report their progress).
 */
export function unwrap<T>(
  status: number,
  json: unknown,
  requestIdHeader: string | null,
  how: { authenticated: boolean; checksPassword?: boolean },
): T {
  const envelope = (json ?? {}) as {
    success?: boolean;
    data?: T;
    error?: { code?: string; message?: string; details?: ErrorDetail[]; request_id?: string };
  };
  if (status >= 200 && status < 300 && envelope.success !== false) return envelope.data as T;
  const e = envelope.error ?? {};
  const err = new ApiError(
    status,
    e.code ?? 'HTTP_ERROR',
    e.message ?? `The server answered HTTP ${status}.`,
    Array.isArray(e.details) ? e.details : [],
    e.request_id ?? requestIdHeader ?? undefined,
  );
  if (status === 401 && how.authenticated && !how.checksPassword) onUnauthorized(err);
  throw err;
}

/** The bearer token of the session, for requests made without `request` (uploads). */
export function authHeader(): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export const api = {
  login: (username: string, password: string) =>
    request<LoginAnswer>('POST', '/api/auth/login', { body: { username, password } }),
  me: () => request<User>('GET', '/api/auth/me'),
  logout: () => request<void>('POST', '/api/auth/logout'),
  changePassword: (current_password: string, new_password: string) =>
    request<void>('POST', '/api/auth/password', {
      body: { current_password, new_password },
      checksPassword: true,
    }),
  rotateOwnToken: (password: string) =>
    request<Schemas['TokenDto']>('POST', '/api/auth/token', {
      body: { password },
      checksPassword: true,
    }),

  queueStatus: () => request<QueueStatus>('GET', '/api/queue/status'),
  throughput: (seconds: number) =>
    request<Schemas['ThroughputDto']>('GET', '/api/queue/throughput', {
      query: { seconds },
    }),

  listJobs: (query: Query) => request<MessageList>('GET', '/api/sms', { query }),
  job: (id: number) => request<MessageDetail>('GET', `/api/sms/${id}`),
  recipients: (id: number, query: Query) =>
    request<RecipientList>('GET', `/api/sms/${id}/recipients`, { query }),
  sendOne: (body: Schemas['SendSmsDto'], key: string) =>
    request<Accepted>('POST', '/api/sms', { body, headers: { 'idempotency-key': key } }),
  sendBulk: (body: Schemas['SendBulkDto'], key: string) =>
    request<Accepted>('POST', '/api/sms/send-bulk', {
      body,
      headers: { 'idempotency-key': key },
    }),
  recipientEvents: (id: number, recipientId: number) =>
    request<Schemas['SmsEventListDto']>('GET', `/api/sms/${id}/recipients/${recipientId}/events`),
  cancel: (id: number) => request<MessageDetail>('POST', `/api/sms/${id}/cancel`),
  retry: (id: number) => request<MessageDetail>('POST', `/api/sms/${id}/retry`),

  suppressions: (query: Query) =>
    request<Schemas['SuppressionListDto']>('GET', '/api/admin/suppressions', { query }),
  addSuppression: (body: Schemas['CreateSuppressionDto']) =>
    request<Suppression>('POST', '/api/admin/suppressions', { body }),
  removeSuppression: (phone: string) =>
    request<void>('DELETE', `/api/admin/suppressions/${encodeURIComponent(phone)}`),

  webhooks: (query: Query) => request<Schemas['WebhookListDto']>('GET', '/api/webhooks', { query }),
  createWebhook: (body: Schemas['CreateWebhookDto']) =>
    request<CreatedWebhook>('POST', '/api/webhooks', { body }),
  updateWebhook: (id: number, body: Schemas['UpdateWebhookDto']) =>
    request<Webhook>('PATCH', `/api/webhooks/${id}`, { body }),
  deleteWebhook: (id: number) => request<void>('DELETE', `/api/webhooks/${id}`),
  rotateWebhookSecret: (id: number) =>
    request<Schemas['WebhookSecretDto']>('POST', `/api/webhooks/${id}/secret`),
  pingWebhook: (id: number) =>
    request<Schemas['QueuedEventDto']>('POST', `/api/webhooks/${id}/test`),
  deliveries: (id: number, query: Query) =>
    request<DeliveryList>('GET', `/api/webhooks/${id}/deliveries`, { query }),
  redeliver: (id: number, deliveryId: number) =>
    request<Delivery>('POST', `/api/webhooks/${id}/deliveries/${deliveryId}/redeliver`),

  templates: (query: Query) => request<TemplateList>('GET', '/api/templates', { query }),
  template: (id: number) => request<Template>('GET', `/api/templates/${id}`),
  createTemplate: (body: Schemas['CreateTemplateDto']) =>
    request<Template>('POST', '/api/templates', { body }),
  updateTemplate: (id: number, body: Schemas['UpdateTemplateDto']) =>
    request<Template>('PATCH', `/api/templates/${id}`, { body }),
  deleteTemplate: (id: number) => request<void>('DELETE', `/api/templates/${id}`),

  users: (query: Query) => request<Schemas['UserListDto']>('GET', '/api/admin/users', { query }),
  createUser: (body: Schemas['CreateUserDto']) =>
    request<Schemas['CreatedUserDto']>('POST', '/api/admin/users', { body }),
  updateUser: (id: number, body: Schemas['UpdateUserDto']) =>
    request<User>('PATCH', `/api/admin/users/${id}`, { body }),
  deleteUser: (id: number) => request<void>('DELETE', `/api/admin/users/${id}`),
  rotateUserToken: (id: number) =>
    request<Schemas['TokenDto']>('POST', `/api/admin/users/${id}/token`),
  revokeUserToken: (id: number) => request<void>('DELETE', `/api/admin/users/${id}/token`),

  allMessages: (query: Query) => request<MessageList>('GET', '/api/admin/messages', { query }),
  deadLetters: (query: Query) =>
    request<DeadLetterList>('GET', '/api/admin/dead-letter', { query }),
  rateLimit: () => request<RateLimit>('GET', '/api/admin/rate-limit'),
  setRateLimit: (body: RateLimit) => request<RateLimit>('PUT', '/api/admin/rate-limit', { body }),
  pause: () => request<QueueStatus>('POST', '/api/admin/queue/pause'),
  resume: () => request<QueueStatus>('POST', '/api/admin/queue/resume'),
};
