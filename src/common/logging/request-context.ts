import { AsyncLocalStorage } from 'node:async_hooks';

/** Carries the request id through everything a request causes, for the log lines. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();
