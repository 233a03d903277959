import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { conflict, notFound } from '../common/app-error.js';
import { QUEUED_CHANNEL } from './messages.repository.js';

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

const FINISHED = ['completed', 'partial', 'failed', 'cancelled'];

/**
 * Cancel and retry. Each locks the job row first, so it serialises with the worker's result
 * writes (which update the same row) and with a concurrent cancel or retry.
 */
@Injectable()
export class JobControlRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Waiting recipients become cancelled; in-flight ones finish and the job ends 'cancelled'. */
  async cancel(id: number, userId: number | undefined): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const [job] = await tx.query(
        `SELECT job_status FROM messages WHERE id = $1 AND ($2::int IS NULL OR user_id = $2) FOR UPDATE`,
        [id, userId ?? null],
      );
      if (!job) throw notFound('Message');
      if (FINISHED.includes(job.job_status)) throw conflict(`The job is already ${job.job_status}`);
      // Rows being claimed right now are locked by the claim; waiting on them and re-checking
      // the status leaves exactly the still-waiting ones to cancel.
      await tx.query(
        `WITH cancelled AS (
           UPDATE recipients SET status = 'cancelled', updated_at = clock_timestamp()
           WHERE message_id = $1 AND status = 'pending' RETURNING 1
         )
         UPDATE messages SET cancelled_count = cancelled_count + (SELECT count(*) FROM cancelled),
           job_status = CASE WHEN sent_count + failed_count + cancelled_count + (SELECT count(*) FROM cancelled) >= recipient_count
             THEN 'cancelled' ELSE job_status END,
           completed_at = CASE WHEN sent_count + failed_count + cancelled_count + (SELECT count(*) FROM cancelled) >= recipient_count
             THEN clock_timestamp() ELSE completed_at END
         WHERE id = $1`,
        [id],
      );
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
