/*
 * PostgreSQL NOTIFY channels. A notification is delivered only if its transaction commits;
 * they speed things up and make cancel and pause take effect at once, while the database
 * state stays the truth (claims re-check it).
 */

/** New work: wakes idle workers. Payload: the job id. */
export const QUEUED_CHANNEL = 'sms_queued';
/** The pause switch changed. Payload: 'true' (paused) or 'false'. */
export const QUEUE_CONTROL_CHANNEL = 'queue_control';
/** A job was cancelled: workers drop its SMS they claimed but have not requested. Payload: the job id. */
export const JOB_CANCELLED_CHANNEL = 'job_cancelled';
/**
 * A scheduled job was created: release schedulers sleeping past its due time wake to re-read
 * it. Payload: the due time, in milliseconds since the epoch.
 */
export const SCHEDULED_CHANNEL = 'sms_scheduled';
