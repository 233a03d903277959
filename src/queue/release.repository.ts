import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { QUEUED_CHANNEL } from '../common/channels.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { isOpen, nextClosing, nextOpening, windowOfRow } from '../scheduling/send-window.js';
import { fairTagSql, fairTagsCte } from './queue.sql.js';

interface DueJob {
  id: number;
  user_id: number;
  lane: number;
  cost: number;
  window_start: number | null;
  window_end: number | null;
  window_tz: string | null;
}

/*
 * Due jobs, locked: SKIP LOCKED lets several processes release side by side, each job once
 * (a job being cancelled is skipped here and has no resume_at afterwards). The order is the
 * order they join their lanes in: a user's jobs oldest due time first.
 */
const DUE_SQL = `
  SELECT id, coalesce(user_id, 0) AS user_id, CASE WHEN adhoc THEN 0 ELSE 1 END AS lane,
    segments AS cost, window_start, window_end, window_tz
  FROM messages WHERE resume_at <= $1
  ORDER BY resume_at, id
  LIMIT $2
  FOR UPDATE OF messages SKIP LOCKED`;

/*
 * A job's held SMS become waiting with fresh fair tags, as if they were submitted now ($1
 * job, $2 lane, $3 user, $4 cost of one SMS): steps 1..n in the order given. A job held by
 * its send window may have sent part already: only what is held is counted.
 */
const RELEASE_RECIPIENTS_SQL = `
  WITH held AS (
    SELECT id, row_number() OVER (ORDER BY ordinal) AS k FROM recipients
    WHERE message_id = $1 AND status = 'held'
  ), ${fairTagsCte({ lane: '$2', userId: '$3', cost: '$4', count: '(SELECT count(*) FROM held)' })}
  UPDATE recipients r SET status = 'pending', vtag = ${fairTagSql('h.k')}, updated_at = clock_timestamp()
  FROM held h WHERE r.id = h.id`;

/*
 * Jobs whose send window's opening has ended, locked like DUE_SQL: their waiting SMS are held
 * until the next opening.
 */
const CLOSING_SQL = `
  SELECT id, window_start, window_end, window_tz FROM messages
  WHERE window_closes_at <= $1
  ORDER BY window_closes_at, id
  LIMIT $2
  FOR UPDATE OF messages SKIP LOCKED`;

/** Jobs released by one transaction at most: a bound on how long it holds their rows. */
const BATCH = 100;

/** Runs `batch` until one handles fewer than BATCH jobs; returns how many in all. */
async function inBatches(batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let n = BATCH; n === BATCH; total += n) n = await batch();
  return total;
}

/**
 * The release step of scheduled jobs (SCHEDULING.md), and the due time it sleeps until.
 * `resume_at` is when a job's held SMS are released (NULL when none are held), served by a
 * partial index.
 */
@Injectable()
export class ReleaseRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The earliest due time of any job: a release (resume_at) or the close of a send window
   * (window_closes_at), one probe of each partial index; null when none.
   */
  async nextDue(): Promise<Date | null> {
    const [row] = await this.dataSource.query(
      `SELECT least((SELECT min(resume_at) FROM messages WHERE resume_at IS NOT NULL),
                    (SELECT min(window_closes_at) FROM messages WHERE window_closes_at IS NOT NULL)) AS due`,
    );
    return row.due;
  }

  /** Releases every job due at `now`, a batch a transaction; returns how many. */
  releaseDue(now: Date): Promise<number> {
    return inBatches(() => this.releaseBatch(now));
  }

  /** Holds the waiting SMS of every job whose window closed by `now`; returns how many jobs. */
  holdClosing(now: Date): Promise<number> {
    return inBatches(() => this.holdBatch(now));
  }

  private holdBatch(now: Date): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const closing: Pick<DueJob, 'id' | 'window_start' | 'window_end' | 'window_tz'>[] =
        await tx.query(CLOSING_SQL, [now, BATCH]);
      for (const j of closing) {
        const w = windowOfRow(j);
        // A window without a time zone has no closing: cleared, as a safety net.
        const opens = w ? new Date(nextOpening(w, now.getTime())) : null;
        await tx.query(
          `WITH held AS (
             UPDATE recipients SET status = 'held', updated_at = clock_timestamp()
             WHERE message_id = $1 AND status = 'pending' AND $2::timestamptz IS NOT NULL
           )
           UPDATE messages SET window_closes_at = NULL, resume_at = $2 WHERE id = $1`,
          [j.id, opens],
        );
      }
      return closing.length;
    });
  }

  private releaseBatch(now: Date): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const due: DueJob[] = await tx.query(DUE_SQL, [now, BATCH]);
      if (due.length === 0) return 0;
      // Lane rows locked in key order (stable, so each user's jobs keep their order): two
      // processes releasing jobs of the same users cannot deadlock.
      const byLane = [...due].sort((a, b) => a.user_id - b.user_id || a.lane - b.lane);
      const released: number[] = [];
      for (const j of byLane) {
        const w = windowOfRow(j);
        if (w && !isOpen(w, now.getTime())) {
          // Due, but outside its send window (SCHEDULING.md): held until it opens.
          await tx.query(
            `UPDATE messages SET resume_at = $2,
               job_status = CASE WHEN job_status = 'scheduled' THEN 'pending' ELSE job_status END
             WHERE id = $1`,
            [j.id, new Date(nextOpening(w, now.getTime()))],
          );
          continue;
        }
        const cost = this.config.smsRateUnit === 'segment' ? j.cost : 1;
        await tx.query(RELEASE_RECIPIENTS_SQL, [j.id, j.lane, j.user_id, cost]);
        await tx.query(`UPDATE messages SET window_closes_at = $2 WHERE id = $1`, [
          j.id,
          w ? new Date(nextClosing(w, now.getTime())) : null,
        ]);
        released.push(j.id);
      }
      const ids = released;
      await tx.query(
        `UPDATE messages SET resume_at = NULL,
           job_status = CASE WHEN job_status = 'scheduled' THEN 'pending' ELSE job_status END
         WHERE id = ANY($1::int[])`,
        [ids],
      );
      await tx.query(`SELECT pg_notify($1, id::text) FROM unnest($2::int[]) AS id`, [
        QUEUED_CHANNEL,
        ids,
      ]);
      return due.length;
    });
  }
}
