import { QUEUED_CHANNEL, SCHEDULED_CHANNEL } from '../common/channels.js';
import { IDLE_CREDIT_SMS } from '../queue/queue.sql.js';
import { MESSAGE_COLUMNS } from './message-row.js';

/*
 * Several one-number jobs queued by one statement (group commit of concurrent single sends,
 * MessagesRepository): the same rows insertJobSql writes for each, as if they had been
 * queued one after the other in the order given.
 *
 * $1-$15 are arrays, one element per job: user, content, encoding, segments, urgent, number,
 * send_at, valid_until, window start/end/zone, window close, template id/version, and the
 * cost of its SMS in tokens.
 *
 * Ids are drawn first so each answer finds its row. The fair-tag rule of fairTagsCte
 * (queue.sql.ts) is applied per user and lane: one upsert of user_lanes for all of a user's
 * jobs in the batch (a row may be written only once per statement), each job's tag then its
 * user's start plus the steps of the user's jobs before it in the batch. That equals tagging
 * them one by one only if they cost the same (the idle credit's clock depends on the step),
 * which the caller sees to: a user's jobs of one lane in one statement cost the same. Rows are written
 * in (user, lane) order, the order every statement locks user_lanes and lane_loads in, so
 * concurrent batches cannot deadlock.
 */
export const INSERT_BATCH_SQL = `
  WITH input AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('messages', 'id'))::int AS id, t.*,
           CASE WHEN t.adhoc THEN 0 ELSE 1 END AS lane
    FROM unnest($1::int[], $2::text[], $3::text[], $4::smallint[], $5::bool[], $6::text[],
                $7::timestamptz[], $8::timestamptz[], $9::smallint[], $10::smallint[], $11::text[],
                $12::timestamptz[], $13::int[], $14::int[], $15::float8[])
      WITH ORDINALITY AS t(user_id, content, encoding, segments, adhoc, phone, send_at,
        valid_until, window_start, window_end, window_tz, window_closes_at, template_id,
        template_version, cost, k)
  ), sup AS (
    SELECT i.k FROM input i JOIN suppressions s ON s.phone = i.phone
    WHERE EXISTS (SELECT FROM suppressions)
  ), steps AS (
    SELECT i.k, i.user_id, i.lane, i.cost / coalesce(u.weight, 1) AS s
    FROM input i LEFT JOIN users u ON u.id = i.user_id
  ), groups AS (
    SELECT user_id, lane, sum(s) AS width, min(s) AS first_step FROM steps GROUP BY user_id, lane
  ), tagged AS (
    -- A user may start up to IDLE_CREDIT_SMS of their own steps behind the lane's clock.
    INSERT INTO user_lanes AS ul (user_id, lane, last_tag)
    SELECT g.user_id, g.lane, c.vtime - ${IDLE_CREDIT_SMS} * g.first_step + g.width
    FROM groups g JOIN lane_clocks c ON c.lane = g.lane
    ORDER BY g.user_id, g.lane
    ON CONFLICT (user_id, lane) DO UPDATE SET last_tag = greatest(
      ul.last_tag + (SELECT width FROM groups g WHERE g.user_id = EXCLUDED.user_id AND g.lane = EXCLUDED.lane),
      EXCLUDED.last_tag)
    RETURNING user_id, lane, last_tag
  ), tags AS (
    SELECT st.k,
           t.last_tag - g.width + sum(st.s) OVER (PARTITION BY st.user_id, st.lane ORDER BY st.k) - st.s AS vtag
    FROM steps st JOIN groups g USING (user_id, lane) JOIN tagged t USING (user_id, lane)
  ), job AS (
    INSERT INTO messages (id, user_id, content, encoding, segments, adhoc, recipient_count,
      duplicates_removed, send_at, resume_at, job_status, valid_until, window_start, window_end,
      window_tz, window_closes_at, template_id, template_version, suppressed_count, completed_at)
    OVERRIDING SYSTEM VALUE
    SELECT i.id, i.user_id, i.content, i.encoding, i.segments, i.adhoc, 1, 0, i.send_at, NULL,
      CASE WHEN x.sup THEN 'completed' ELSE 'pending' END, i.valid_until, i.window_start,
      i.window_end, i.window_tz, CASE WHEN x.sup THEN NULL ELSE i.window_closes_at END,
      i.template_id, i.template_version, x.sup::int, CASE WHEN x.sup THEN clock_timestamp() END
    FROM input i CROSS JOIN LATERAL (SELECT i.k IN (SELECT k FROM sup) AS sup) x
    ORDER BY i.user_id, i.lane, i.k
    RETURNING ${MESSAGE_COLUMNS}
  ), added AS (
    INSERT INTO recipients (message_id, ordinal, phone, priority, vtag, status)
    SELECT job.id, 1, i.phone, i.lane, tg.vtag,
           CASE WHEN job.suppressed_count > 0 THEN 'suppressed' ELSE 'pending' END
    FROM job JOIN input i ON i.id = job.id JOIN tags tg ON tg.k = i.k
    ORDER BY i.user_id, i.lane, i.k
  )
  SELECT job.*, i.k AS batch_index,
         (SELECT pg_notify('${QUEUED_CHANNEL}', max(id)::text) FROM input)::text AS notified,
         -- Release schedulers re-read their next due time: the soonest close of a window a job
         -- sends in (epoch ms), sent at commit with the rows, or not at all.
         (SELECT pg_notify('${SCHEDULED_CHANNEL}',
                   (extract(epoch FROM min(window_closes_at)) * 1000)::bigint::text)
          FROM input WHERE window_closes_at IS NOT NULL HAVING count(*) > 0)::text AS window_notified
  FROM job JOIN input i ON i.id = job.id
  ORDER BY i.k`;
