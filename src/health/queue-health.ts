/** Implemented by the queue module; the health module asks it without depending on it. */
export interface QueueHealth {
  queueStatus(): Promise<'up' | 'down' | 'paused' | 'disabled'>;
}
export const QUEUE_HEALTH = Symbol('QUEUE_HEALTH');
