import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { conflict, notFound } from '../common/app-error.js';
import {
  JOB_CANCELLED_CHANNEL,
  QUEUE_CONTROL_CHANNEL,
  QUEUED_CHANNEL,
} from '../common/channels.js';
import { jobCountersSql } from './queue.sql.js';

export interface DeadLetterRow {
  id: string;
  message_id: number;
  phone: string;
  attempts: number;
  error_message: string | null;
  failed_at: Date;
  owner_id: number | null;
  owner_username: string | null;
}

const FINISHED = ['completed', 'partial', 'failed', 'cancelled', 'expired'];

/**
 * What people do to the queue: pause and resume it, cancel and retry jobs, list dead letters.
 * Cancel and retry lock the job row first, so they serialise with the worker's result writes
 * (which update the same row) and with a concurrent cancel or retry.
 */
@Injectable()
export class QueueControlRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The cluster-wide pause switch, kept in the database so every process obeys it. */
  async setPaused(paused: boolean): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO app_settings (key, value, updated_at) VALUES ('queue_paused', $1, now())
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [String(paused)],
      );
      await tx.query(`SELECT pg_notify($1, $2)`, [QUEUE_CONTROL_CHANNEL, String(paused)]);
    });
  }

  /**
   * The job becomes 'cancelled' at once and its waiting recipients cancelled (with those a
   * scheduled job holds, and its due time: there is nothing left to release). SMS already
   * claimed by a worker are dropped by it before their request (the NOTIFY tells every
   * worker, and claims read the job's status); those on the wire finish and are recorded.
   */
  async cancel(id: number, userId: number | undefined): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const [job] = await tx.query(
        `SELECT job_status FROM messages WHERE id = $1 AND ($2::int IS NULL OR user_id = $2) FOR UPDATE`,
        [id, userId ?? null],
      );
      if (!job) throw notFound('Message');
      if (FINISHED.includes(job.job_status)) throw conflict(`The job is already ${job.job_status}`);
      await tx.query(
        `UPDATE messages SET job_status = 'cancelled', resume_at = NULL WHERE id = $1`,
        [id],
      );
      // Rows being claimed right now are locked by the claim; waiting on them and re-checking
      // the status leaves exactly the still-waiting ones to cancel.
      await tx.query(
        `WITH cancelled AS (
           UPDATE recipients SET status = 'cancelled', updated_at = clock_timestamp()
           WHERE message_id = $1 AND status IN ('pending', 'held') RETURNING 1
         )
         UPDATE messages m SET ${jobCountersSql('m', { cancelled: '(SELECT count(*) FROM cancelled)' })}
         WHERE id = $1`,
        [id],
      );
      await tx.query(`SELECT pg_notify($1, $2)`, [JOB_CANCELLED_CHANNEL, String(id)]);
    });
  }

  /** Failed recipients go back to the queue with fresh attempts. */
  async retry(id: number, userId: number | undefined): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const [job] = await tx.query(
        `SELECT failed_count FROM messages WHERE id = $1 AND ($2::int IS NULL OR user_id = $2) FOR UPDATE`,
        [id, userId ?? null],
      );
      if (!job) throw notFound('Message');
      if (job.failed_count === 0) throw conflict('The job has no failed recipients to retry');
      await tx.query(
        `WITH requeued AS (
           UPDATE recipients SET status = 'pending', attempts = 0, next_attempt_at = '-infinity',
             error_message = NULL, gateway_response = NULL, updated_at = clock_timestamp()
           WHERE message_id = $1 AND status = 'failed' RETURNING 1
         )
         UPDATE messages SET failed_count = failed_count - (SELECT count(*) FROM requeued),
           job_status = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'sending' END,
           completed_at = NULL
         WHERE id = $1`,
        [id],
      );
      await tx.query(`SELECT pg_notify($1, $2)`, [QUEUED_CHANNEL, String(id)]);
    });
  }

  /** Recipients that finally failed, newest first, with their job's owner. */
  async deadLetters(
    offset: number,
    limit: number,
  ): Promise<{ items: DeadLetterRow[]; total: number }> {
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT r.id::text, r.message_id, r.phone, r.attempts, r.error_message, r.updated_at AS failed_at,
                m.user_id AS owner_id, u.username AS owner_username
         FROM recipients r JOIN messages m ON m.id = r.message_id LEFT JOIN users u ON u.id = m.user_id
         WHERE r.status = 'failed' ORDER BY r.updated_at DESC, r.id DESC OFFSET $1 LIMIT $2`,
        [offset, limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM recipients WHERE status = 'failed'`),
    ]);
    return { items, total: count[0].n };
  }
}
