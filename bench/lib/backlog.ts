import type pg from 'pg';

/**
 * Writes a backlog straight into the database with set-based SQL: `jobs` pending bulk jobs of
 * `perJob` pending recipients each, owned by `userId`, created one second apart with the first
 * the oldest (so serving order is id order). Numbers are distinct over the whole backlog:
 * +8529 and the SMS's global index in 7 digits. Recipients go in `chunkJobs` jobs at a time;
 * `onProgress` hears the running count after each chunk. Returns the job ids in order.
 */
export async function insertBacklog(
  client: pg.Client,
  opts: {
    userId: number;
    jobs: number;
    perJob: number;
    label: string;
    chunkJobs?: number;
    onProgress?: (recipientsDone: number) => void;
  },
): Promise<number[]> {
  const { userId, jobs, perJob, label } = opts;
  const inserted = await client.query<{ id: number }>(
    `INSERT INTO messages (user_id, content, encoding, segments, adhoc, recipient_count, created_at)
     SELECT $1, $4 || ' backlog job ' || g, 'gsm7', 1, false, $2, now() - make_interval(secs => $3 - g)
     FROM generate_series(1, $3) AS g ORDER BY g
     RETURNING id`,
    [userId, perJob, jobs, label],
  );
  const ids = inserted.rows.map((r) => r.id).sort((a, b) => a - b);
  const chunkJobs = opts.chunkJobs ?? ids.length;
  let done = 0;
  for (let from = 0; from < ids.length; from += chunkJobs) {
    const chunk = ids.slice(from, from + chunkJobs);
    const res = await client.query(
      `INSERT INTO recipients (message_id, ordinal, phone, priority)
       SELECT j.id, o, '+8529' || lpad((j.idx * $3 + o - 1)::text, 7, '0'), 1
       FROM unnest($1::int[], $2::int[]) AS j(id, idx) CROSS JOIN generate_series(1, $3) AS o
       ORDER BY j.id, o`,
      [chunk, chunk.map((_, k) => from + k), perJob],
    );
    done += res.rowCount ?? 0;
    opts.onProgress?.(done);
  }
  return ids;
}
