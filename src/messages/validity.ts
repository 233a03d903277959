import { AppError } from '../common/app-error.js';

/** The validity fields of a send request (SCHEDULING.md). */
export interface ValidityRequest {
  valid_until?: string;
  validity_seconds?: number;
  allow_expiry?: boolean;
}

/** When the job's SMS stop being worth sending, or null; `now` in epoch ms. */
export function validUntilOf(v: ValidityRequest, now: number): Date | null {
  if (v.valid_until !== undefined && v.validity_seconds !== undefined) {
    throw new AppError(400, 'VALIDATION_ERROR', 'Give valid_until or validity_seconds, not both', [
      { field: 'validity_seconds', message: 'not allowed together with valid_until' },
    ]);
  }
  if (v.valid_until !== undefined) return new Date(v.valid_until);
  if (v.validity_seconds !== undefined) return new Date(now + v.validity_seconds * 1000);
  return null;
}

/** 422 WOULD_EXPIRE: the estimate already misses the validity, and the caller did not allow it. */
export function wouldExpire(estimatedCompleteAt: number, validUntil: Date): AppError {
  const details = {
    estimated_complete_at: new Date(estimatedCompleteAt).toISOString(),
    valid_until: validUntil.toISOString(),
  };
  return new AppError(
    422,
    'WOULD_EXPIRE',
    `The job is estimated to finish at ${details.estimated_complete_at}, after its valid_until ${details.valid_until}; nothing was queued (allow_expiry: true queues it and lets the late part expire)`,
    [{ field: 'valid_until', message: 'the estimate misses it', ...details }],
  );
}
