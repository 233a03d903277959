import type pg from 'pg';
import { hashApiToken, newApiToken } from '../../src/users/api-tokens.js';

/** One user's share of a backlog: `jobs` pending jobs of `perJob` SMS each. */
export interface BacklogOwner {
  userId: number;
  jobs: number;
  perJob: number;
}

/**
 * Writes a backlog straight into the database with set-based SQL, as if every owner had
 * submitted all their jobs at once just now, in the normal lane: pending jobs with counts at
 * zero, ordinals 1..n, and the fair tags and `user_lanes` rows the app writes on enqueue
 * (MessagesRepository's INSERT_RECIPIENTS_SQL, migration FairShareTags): an owner's i-th SMS
 * (over their jobs, oldest first) is tagged start + i / weight, `start` being where the
 * owner's last tag ended or the lane's clock, whichever is later; `user_lanes.last_tag`
 * ends at the owner's last tag. Owners interleave by weight as real submissions would.
 *
 * Jobs are created round-robin over the owners (each owner's oldest first, ids ascending),
 * 10 ms apart, about 1 000 a statement. Numbers are distinct over the whole backlog: +8529
 * and `firstNumber` + the SMS's index in 7 digits, owner after owner. Recipients go in
 * statements of about `chunkRows` rows; `onProgress` hears the running count after each.
 * Plain INSERTs, so any trigger on messages or recipients fires as for the app's own.
 * Returns each owner's job ids, oldest first.
 */
export async function insertFairBacklog(
  client: pg.Client,
  opts: {
    owners: BacklogOwner[];
    label: string;
    firstNumber?: number;
    chunkRows?: number;
    onProgress?: (recipientsDone: number) => void;
  },
): Promise<number[][]> {
  const { owners, label } = opts;
  const lane = 1;
  if (new Set(owners.map((o) => o.userId)).size !== owners.length)
    throw new Error('insertFairBacklog: one entry per user');
  const total = owners.reduce((n, o) => n + o.jobs * o.perJob, 0);
  if ((opts.firstNumber ?? 0) + total > 10_000_000) throw new RangeError(`${total} numbers`);

  // Where each owner's tags start, and their weight, as the app's enqueue reads them.
  const { rows: starts } = await client.query<{ id: number; weight: number; start: number }>(
    `SELECT u.id, u.weight,
            greatest(coalesce(ul.last_tag, 0), (SELECT vtime FROM lane_clocks WHERE lane = $2)) AS start
     FROM users u LEFT JOIN user_lanes ul ON ul.user_id = u.id AND ul.lane = $2
     WHERE u.id = ANY($1::int[])`,
    [owners.map((o) => o.userId), lane],
  );
  const byUser = new Map(starts.map((r) => [r.id, r]));
  for (const o of owners) if (!byUser.has(o.userId)) throw new Error(`no user ${o.userId}`);

  // About 1 000 jobs a statement (its own transaction), as the app's group commits are many
  // small transactions: the deferred trigger updates each owner's lane_loads row once a job,
  // and in one transaction of 100 000 jobs those versions could never be pruned (lane_loads
  // grew to 1 300 pages for 1 001 rows, read whole by every estimate).
  const rounds = Math.max(...owners.map((o) => o.jobs));
  const roundsPerStatement = Math.max(1, Math.floor(1_000 / owners.length));
  const totalJobs = owners.reduce((n, o) => n + o.jobs, 0);
  const created: { id: number; user_id: number }[] = [];
  for (let from = 1; from <= rounds; from += roundsPerStatement) {
    const { rows } = await client.query<{ id: number; user_id: number }>(
      `INSERT INTO messages (user_id, content, encoding, segments, adhoc, recipient_count, created_at)
       SELECT o.user_id, $4 || ' backlog, user ' || o.user_id || ' job ' || j, 'gsm7', 1, false,
              o.per_job,
              now() - ($5 - $8::int - row_number() OVER (ORDER BY j, o.k)) * interval '10 milliseconds'
       FROM unnest($1::int[], $2::int[], $3::int[]) WITH ORDINALITY AS o(user_id, jobs, per_job, k)
       CROSS JOIN LATERAL generate_series($6::int, least(o.jobs, $7::int)) AS j
       ORDER BY j, o.k
       RETURNING id, user_id`,
      [
        owners.map((o) => o.userId),
        owners.map((o) => o.jobs),
        owners.map((o) => o.perJob),
        label,
        totalJobs,
        from,
        from + roundsPerStatement - 1,
        created.length,
      ],
    );
    created.push(...rows);
  }
  const jobIds = owners.map((o) =>
    created
      .filter((r) => r.user_id === o.userId)
      .map((r) => r.id)
      .sort((a, b) => a - b),
  );

  // Pieces of at most chunkRows recipients: [job id, first ordinal, last ordinal, number of
  // its first SMS, owner's index of the SMS before it, tag start, weight].
  const chunkRows = opts.chunkRows ?? 50_000;
  type Piece = [number, number, number, number, number, number, number];
  const pieces: Piece[] = [];
  let number = opts.firstNumber ?? 0;
  owners.forEach((o, k) => {
    const { weight, start } = byUser.get(o.userId)!;
    jobIds[k].forEach((id, j) => {
      for (let from = 1; from <= o.perJob; from += chunkRows) {
        const to = Math.min(o.perJob, from + chunkRows - 1);
        pieces.push([id, from, to, number + from - 1, j * o.perJob, start, weight]);
      }
      number += o.perJob;
    });
  });
  let done = 0;
  for (let p = 0; p < pieces.length;) {
    const batch: Piece[] = [];
    let rows = 0;
    while (
      p < pieces.length &&
      (batch.length === 0 || rows + pieces[p][2] - pieces[p][1] < chunkRows)
    ) {
      rows += pieces[p][2] - pieces[p][1] + 1;
      batch.push(pieces[p++]);
    }
    const col = (c: number) => batch.map((x) => x[c]);
    const res = await client.query(
      `INSERT INTO recipients (message_id, ordinal, phone, priority, vtag)
       SELECT s.id, o, '+8529' || lpad((s.num + o - s.first)::text, 7, '0'), $8,
              s.start + (s.before + o)::float8 / s.weight
       FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::float8[], $7::int[])
         AS s(id, first, last, num, before, start, weight)
       CROSS JOIN LATERAL generate_series(s.first, s.last) AS o
       ORDER BY s.id, o`,
      [col(0), col(1), col(2), col(3), col(4), col(5), col(6), lane],
    );
    done += res.rowCount ?? 0;
    opts.onProgress?.(done);
  }

  await client.query(
    `INSERT INTO user_lanes AS ul (user_id, lane, last_tag)
     SELECT t.user_id, $4, t.start + t.n::float8 / t.weight
     FROM unnest($1::int[], $2::float8[], $3::int[], $5::int[]) AS t(user_id, start, n, weight)
     ON CONFLICT (user_id, lane) DO UPDATE SET last_tag = EXCLUDED.last_tag`,
    [
      owners.map((o) => o.userId),
      owners.map((o) => byUser.get(o.userId)!.start),
      owners.map((o) => o.jobs * o.perJob),
      lane,
      owners.map((o) => byUser.get(o.userId)!.weight),
    ],
  );
  return jobIds;
}

/**
 * The single-owner case: `jobs` pending jobs of `perJob` SMS of `userId`, oldest first;
 * recipients in `chunkJobs` jobs a statement. Returns the job ids in order.
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
  const { userId, jobs, perJob, label, onProgress } = opts;
  const [ids] = await insertFairBacklog(client, {
    owners: [{ userId, jobs, perJob }],
    label,
    chunkRows: (opts.chunkJobs ?? jobs) * perJob,
    onProgress,
  });
  return ids;
}

/** A user written straight into the table, with an API token of its own (no password). */
export interface SqlUser {
  id: number;
  username: string;
  token: string;
}

/**
 * `count` normal users `<prefix>1..<prefix>count` of `weight` in one INSERT, each with an API
 * token made and hashed as the app does; the password hash is a placeholder that matches no
 * password. For backlogs of many users, where creating them one by one over HTTP (argon2)
 * would take longer than the measurement.
 */
export async function insertUsers(
  client: pg.Client,
  prefix: string,
  count: number,
  weight = 1,
): Promise<SqlUser[]> {
  const names = Array.from({ length: count }, (_, k) => `${prefix}${k + 1}`);
  const tokens = names.map(() => newApiToken());
  const { rows } = await client.query<{ id: number; username: string }>(
    `INSERT INTO users (username, password_hash, api_token_hash, weight)
     SELECT t.username, '!bench-no-password', t.hash, $3
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(username, hash, k) ORDER BY t.k
     RETURNING id, username`,
    [names, tokens.map(hashApiToken), weight],
  );
  const tokenOf = new Map(names.map((n, k) => [n, tokens[k]]));
  return rows
    .map((r) => ({ id: r.id, username: r.username, token: tokenOf.get(r.username)! }))
    .sort((a, b) => a.id - b.id);
}
