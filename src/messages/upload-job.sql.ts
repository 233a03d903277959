import { QUEUED_CHANNEL, SCHEDULED_CHANNEL } from '../common/channels.js';
import { fairTagSql, fairTagsCte } from '../queue/queue.sql.js';
import { MESSAGE_COLUMNS } from './message-row.js';

/**
 * A CSV upload's job (CONTENT.md: 1 000 000 rows, never held in the process), written while
 * its body streams in, in one transaction of its own: the job's row first, with no
 * recipients counted (UPLOAD_JOB_SQL), then its recipients COPYed straight into `recipients`
 * as they are checked (COPY_RECIPIENTS_SQL, each tagged from provisionalTagsSql), then the
 * counts, the lane and the first state of each SMS settled at the end (finishUploadSql). A
 * failure rolls all of it back. Whatever reads the job sees it only once it is committed,
 * complete, exactly as send-bulk would have stored the same list.
 */

/** $1-$15 as every job insert (MessagesRepository.jobParams), $16-$17 template and version. */
export const UPLOAD_JOB_SQL = `
  INSERT INTO messages (user_id, content, encoding, segments, adhoc, recipient_count, duplicates_removed,
    send_at, resume_at, job_status, valid_until, window_start, window_end, window_tz, window_closes_at,
    template_id, template_version, personalised, total_segments)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, true, 0)
  RETURNING id`;

/**
 * COPY's text format, tab-separated, `\N` for null (csv-staging.ts writes it). content and
 * segments: the recipient's own text and count, null where it is the job's (as send-bulk's
 * personalised recipients). Held SMS are untagged (the column's default) until released.
 */
export const copyRecipientsSql = (held: boolean) =>
  `COPY recipients (message_id, ordinal, phone, priority, ${held ? '' : 'vtag, '}status, content, segments) FROM STDIN`;

/**
 * Numbers of the job on the suppression list: 'suppressed' from the start, as send-bulk
 * stores them (run only when the upload met one). $1 the job.
 */
export const SUPPRESS_UPLOADED_SQL = `
  WITH marked AS (
    UPDATE recipients r SET status = 'suppressed'
    FROM suppressions s WHERE r.message_id = $1 AND s.phone = r.phone
    RETURNING 1
  )
  SELECT count(*)::int AS n FROM marked`;

/*
 * The job's counts, as insertMessageSql writes them: $1 the job, $2 its recipients, $3 of
 * them suppressed (all: completed at once), $4-$8 encoding, largest and total segments,
 * duplicates left out, valid_until.
 */
const SETTLE_JOB_SQL = `
  job AS (
    UPDATE messages SET recipient_count = $2, suppressed_count = $3, encoding = $4, segments = $5,
      total_segments = $6, duplicates_removed = $7, valid_until = $8,
      job_status = CASE WHEN $3::int = $2::int THEN 'completed' ELSE job_status END,
      completed_at = CASE WHEN $3::int = $2::int THEN clock_timestamp() END,
      resume_at = CASE WHEN $3::int = $2::int THEN NULL ELSE resume_at END,
      window_closes_at = CASE WHEN $3::int = $2::int THEN NULL ELSE window_closes_at END
    WHERE id = $1
    RETURNING ${MESSAGE_COLUMNS}
  )`;

/**
 * The end of an upload whose SMS join their lane now: the fair-tag rule of queue.sql.ts,
 * applied at commit as to any job. The rows were tagged as the body streamed, from where
 * the lane stood when the upload began ($12 start, $13 step); when the lane has moved on
 * since (SMS sent, the user's other jobs queued) or the step differs (segments as the rate
 * unit), every tag is written again, so the job joins the fair order exactly where a
 * send-bulk of the same list would now. $9 user, $10 lane, $11 cost of one SMS; $1-$8 as
 * SETTLE_JOB_SQL. Returns the job, and how many tags were written again.
 */
export const FINISH_UPLOAD_SQL = `
  WITH ${fairTagsCte({ lane: '$10', userId: '$9', cost: '$11', count: '$2::int' })},
  retagged AS (
    UPDATE recipients SET vtag = ${fairTagSql('ordinal')}
    WHERE message_id = $1 AND ((SELECT start FROM tagged) <> $12 OR (SELECT s FROM step) <> $13)
    RETURNING 1
  ), ${SETTLE_JOB_SQL}
  SELECT job.*, (SELECT count(*) FROM retagged)::int AS retagged,
    pg_notify('${QUEUED_CHANNEL}', job.id::text)::text AS notified
  FROM job`;

/**
 * The end of an upload whose SMS are held (scheduled, or outside its send window): nothing
 * tagged, the lane untouched until the release step; $9 its due time for the release
 * schedulers; $1-$8 as SETTLE_JOB_SQL.
 */
export const FINISH_HELD_UPLOAD_SQL = `
  WITH ${SETTLE_JOB_SQL}
  SELECT job.*, 0 AS retagged, pg_notify('${SCHEDULED_CHANNEL}', $9::text)::text AS notified
  FROM job`;
