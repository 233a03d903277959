import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { QUEUED_CHANNEL, SCHEDULED_CHANNEL } from '../common/channels.js';
import { conflict } from '../common/app-error.js';
import { eachAloneOnFailure, type ItemOutcome } from '../common/group-commit.js';
import { INSERT_BATCH_SQL } from './insert-batch.sql.js';
import { preparedQuery } from '../database/prepared-query.js';
import { fairTagSql, fairTagsCte, provisionalTagsSql } from '../queue/queue.sql.js';
import type { SendWindow } from '../scheduling/send-window.js';
import type { SmsEncoding } from './sms-encoding.js';
import {
  FINISH_HELD_UPLOAD_SQL,
  FINISH_UPLOAD_SQL,
  SUPPRESS_UPLOADED_SQL,
  UPLOAD_JOB_SQL,
} from './upload-job.sql.js';
import { textArrayLiteral } from './array-literal.js';
import {
  JobStatus,
  MESSAGE_COLUMNS,
  MessageRow,
  RecipientRow,
  RecipientStatus,
} from './message-row.js';

export interface NewMessage {
  userId: number;
  content: string;
  encoding: SmsEncoding;
  segments: number;
  adhoc: boolean;
  phones: string[];
  duplicatesRemoved: number;
  /** No request starts after it (SCHEDULING.md); null: no limit. */
  validUntil: Date | null;
  /** As the request gave it (shown in answers); null when none. */
  sendAt: Date | null;
  /**
   * Set when the job's SMS are held at first: until its send_at (a scheduled job), or until
   * its send window opens.
   */
  holdUntil: Date | null;
  /** Its send_at is ahead: `scheduled` until then. */
  scheduled: boolean;
  /** Its daily send window (SCHEDULING.md); null: always. */
  window: SendWindow | null;
  /** When the window's current opening closes, for a job that starts sending at once. */
  windowClosesAt: Date | null;
  idempotency?: IdempotencyClaim;
  /** The template it was rendered from (CONTENT.md); absent: content given. */
  template?: { id: number; version: number };
  /**
   * Personalised (CONTENT.md): each recipient's rendered text and segments, beside `phones`
   * (null where it equals the job's content), and the job's total segments.
   */
  personal?: { contents: (string | null)[]; segments: (number | null)[]; totalSegments: number };
}

/**
 * A CSV upload's job as it opens (upload-job.sql.ts): personalised, its recipients and
 * their counts still to come, in the transaction `db` holds open. No idempotency key.
 */
export type NewUploadJob = Omit<
  NewMessage,
  | 'phones'
  | 'personal'
  | 'idempotency'
  | 'encoding'
  | 'segments'
  | 'duplicatesRemoved'
  | 'validUntil'
> & { db: EntityManager };

/** An open upload's job: its id, lane, and the tags its rows get as they stream (null: held). */
export interface UploadJobStart {
  id: number;
  lane: number;
  tagStart: number | null;
  step: number | null;
}

/** What an upload's job holds once its body has been read. */
export interface UploadJobTotals {
  count: number;
  encoding: SmsEncoding;
  /** The largest segment count, and the sum over recipients. */
  segments: number;
  totalSegments: number;
  duplicatesRemoved: number;
  validUntil: Date | null;
  /** The upload met a number on the suppression list (worth looking for them). */
  anySuppressed: boolean;
}

export type SendRoute = 'single' | 'bulk';

export interface IdempotencyClaim {
  key: string;
  /** sha256 of the request's meaning (route, numbers, content, adhoc). */
  hash: string;
  route: SendRoute;
}

/** The job created now, or the id of the job an earlier request with the same key made. */
export type InsertOutcome = { created: MessageRow } | { replayOf: number; route: SendRoute };

export interface MessageFilter {
  userId?: number;
  /** Content contains this text (admin search). */
  text?: string;
  /** Adds owner_username (admin listing). */
  withOwner?: boolean;
  jobStatus?: JobStatus;
  from?: Date;
  to?: Date;
  offset: number;
  limit: number;
}

/*
 * CTEs `sup` (the ordinals of this job's numbers that are on the suppression list,
 * CONTENT.md) and `nsup` (how many), for a job whose numbers are `rows` (a FROM item `t` with
 * `phone` and `ord`). One probe of the
 * list's key per number; while the list is empty the one-time gate stops it before it reads
 * a number.
 */
const suppressedCte = (rows: string) => `
  sup AS (
    SELECT t.ord FROM ${rows}
    JOIN suppressions s ON s.phone = t.phone
    WHERE EXISTS (SELECT FROM suppressions)
  ), nsup AS (
    SELECT count(*)::int AS n FROM sup
  )`;

/** A recipient's first state: `otherwise`, or 'suppressed' (the row `t`, with suppressedCte). */
const firstStatusSql = (otherwise: string) =>
  `CASE WHEN (SELECT n FROM nsup) > 0 AND t.ord IN (SELECT ord FROM sup) THEN 'suppressed' ELSE ${otherwise} END`;

/*
 * The CTE `job`, with suppressedCte: the job's row from $1-$15 (see insertRows), its
 * template and version (`template`, SQL) and, for a personalised job, its personalised flag
 * and total segments (`personal`). A job whose every number is suppressed is completed at
 * once (nothing held, nothing to send); the others count theirs as final already.
 */
const insertMessageSql = (template: string, personal: string | null) => {
  const allSup = `(SELECT n FROM nsup) = $6`;
  return `
  job AS (
    INSERT INTO messages (user_id, content, encoding, segments, adhoc, recipient_count, duplicates_removed,
      send_at, resume_at, job_status, valid_until, window_start, window_end, window_tz, window_closes_at,
      template_id, template_version, suppressed_count, completed_at${personal ? ', personalised, total_segments' : ''})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN ${allSup} THEN NULL ELSE $9::timestamptz END,
      CASE WHEN ${allSup} THEN 'completed' ELSE $10 END, $11, $12, $13, $14,
      CASE WHEN ${allSup} THEN NULL ELSE $15::timestamptz END, ${template}, (SELECT n FROM nsup),
      CASE WHEN ${allSup} THEN clock_timestamp() END${personal ? `, ${personal}` : ''})
    RETURNING ${MESSAGE_COLUMNS}
  )`;
};

/*
 * A personalised recipient's own text and segments, passed as text[] literals with '' for
 * null (textArrayLiteral): a rendered text is never empty and never has 0 segments.
 */
const OWN_TEXT = `NULLIF(t.content, ''), NULLIF(t.segments, '')::smallint`;

/*
 * A job and its recipients in one statement (atomic on its own: no BEGIN/COMMIT round
 * trips, which bench/submissions showed to be most of a single SMS's cost): $1-$15 the job,
 * $16 lane, $17 cost of one SMS, $18 the numbers, $19-$20 its template and version,
 * $21-$24 (personalised only) whether it is, its total segments, each recipient's own text
 * and segments (null: the job's). Recipients set-based, each with its virtual tag (the
 * fair-tag rule of queue.sql.ts); the workers are told in the same statement. The plain
 * statement stays as it was: a bulk of one text pays nothing for personalisation.
 * Suppressed numbers (CONTENT.md) are stored 'suppressed', outside the claim index.
 */
const insertJobSql = (personal: boolean) => `
  WITH ${suppressedCte(`unnest($18::text[]) WITH ORDINALITY AS t(phone, ord)`)},
  ${insertMessageSql('$19, $20', personal ? '$21, $22' : null)},
  ${fairTagsCte({ lane: '$16', userId: '$1', cost: '$17', count: 'cardinality($18::text[])' })},
  added AS (
    INSERT INTO recipients (message_id, ordinal, phone, priority, vtag, status${personal ? ', content, segments' : ''})
    SELECT job.id, t.ord, t.phone, $16, ${fairTagSql('t.ord')}, ${firstStatusSql(`'pending'`)}${personal ? `, ${OWN_TEXT}` : ''}
    FROM job, ${
      personal
        ? 'unnest($18::text[], $23::text[], $24::text[]) WITH ORDINALITY AS t(phone, content, segments, ord)'
        : 'unnest($18::text[]) WITH ORDINALITY AS t(phone, ord)'
    }
  )
  SELECT job.*, pg_notify('${QUEUED_CHANNEL}', job.id::text)::text AS notified FROM job`;

/*
 * The same for a job whose SMS are held at first (scheduled, or outside its send window):
 * 'held', outside the claim index and untagged, its user's lane row untouched, until the
 * release step tags them (queue/release.repository.ts); $16 lane, $17 the numbers, $18 its
 * due time for the release schedulers, $19-$20 its template and version, $21-$24 as above.
 */
const insertHeldJobSql = (personal: boolean) => `
  WITH ${suppressedCte(`unnest($17::text[]) WITH ORDINALITY AS t(phone, ord)`)},
  ${insertMessageSql('$19, $20', personal ? '$21, $22' : null)},
  added AS (
    INSERT INTO recipients (message_id, ordinal, phone, priority, status${personal ? ', content, segments' : ''})
    SELECT job.id, t.ord, t.phone, $16, ${firstStatusSql(`'held'`)}${personal ? `, ${OWN_TEXT}` : ''}
    FROM job, ${
      personal
        ? 'unnest($17::text[], $23::text[], $24::text[]) WITH ORDINALITY AS t(phone, content, segments, ord)'
        : 'unnest($17::text[]) WITH ORDINALITY AS t(phone, ord)'
    }
  )
  SELECT job.*, pg_notify('${SCHEDULED_CHANNEL}', $18)::text AS notified FROM job`;

const INSERT_JOB_SQL = insertJobSql(false);
const INSERT_PERSONAL_JOB_SQL = insertJobSql(true);
const INSERT_HELD_JOB_SQL = insertHeldJobSql(false);
const INSERT_PERSONAL_HELD_JOB_SQL = insertHeldJobSql(true);

const PROVISIONAL_TAGS_SQL = provisionalTagsSql({ lane: '$2', userId: '$1', cost: '1' });

/** Jobs at least this big refresh the queue table's planner statistics. */
const LARGE_JOB = 10_000;

const OWNER_COLUMN = `, (SELECT username FROM users u WHERE u.id = user_id) AS owner_username`;

/**
 * Jobs concurrent callers may queue together (`insertSingles`, INSERT_BATCH_SQL): one number,
 * sent at once.
 */
export const isBatchable = (m: NewMessage) =>
  m.phones.length === 1 && !m.idempotency && !m.holdUntil && !m.scheduled && !m.personal;

@Injectable()
export class MessagesRepository {
  private analyzing?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The job and all its recipients in one transaction, recipients in one set-based insert:
   * either the whole job is queued or nothing is. With an idempotency key, the key row is
   * written in the same transaction, so concurrent duplicates serialise on it.
   */
  async insert(m: NewMessage): Promise<InsertOutcome> {
    if (isBatchable(m)) {
      const [outcome] = await this.insertSingles([m]);
      if (!outcome.ok) throw outcome.error;
      return { created: outcome.value };
    }
    const outcome = await this.insertJob(m);
    if ('created' in outcome && m.phones.length >= LARGE_JOB) this.refreshQueueStatistics();
    return outcome;
  }

  /**
   * After a large enqueue the planner's estimates stay stale until auto-analyze gets to the
   * table, and the claim then sorts every waiting row (96 ms a claim instead of 2 ms,
   * measured). Refreshed in the background, one at a time, off the request path.
   */
  private refreshQueueStatistics(): void {
    this.analyzing ??= this.dataSource
      .query('ANALYZE recipients')
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => (this.analyzing = undefined));
  }

  async pruneIdempotencyKeys(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'`,
    );
  }

  private async insertJob(m: NewMessage): Promise<InsertOutcome> {
    // Without a key the one statement is the whole transaction.
    if (!m.idempotency) return { created: await this.insertRows(this.dataSource.manager, m) };
    const key = m.idempotency;
    return this.dataSource.transaction(async (tx) => {
      const earlier = await this.claimKey(tx, m.userId, key);
      if (earlier) return earlier;
      const row = await this.insertRows(tx, m);
      await tx.query(
        `UPDATE idempotency_keys SET message_id = $3 WHERE user_id = $1 AND key = $2`,
        [m.userId, key.key, row.id],
      );
      return { created: row };
    });
  }

  /**
   * Opens a CSV upload's job in the transaction of `m.db` (upload-job.sql.ts): its row, and
   * where its SMS would join their lane if it were queued now (one step of cost 1 each).
   */
  async openUpload(m: NewUploadJob): Promise<UploadJobStart> {
    const open = { ...m, encoding: 'gsm7' as const, segments: 1, duplicatesRemoved: 0 };
    const [{ id }] = await m.db.query(UPLOAD_JOB_SQL, [
      // One recipient until the end settles the count (the table wants at least one).
      ...this.jobParams({ ...open, validUntil: null }, 1),
      m.template?.id ?? null,
      m.template?.version ?? null,
    ]);
    const lane = m.adhoc ? 0 : 1;
    if (m.holdUntil) return { id, lane, tagStart: null, step: null };
    const [tags] = await m.db.query(PROVISIONAL_TAGS_SQL, [m.userId, lane]);
    return { id, lane, tagStart: Number(tags.start), step: Number(tags.step) };
  }

  /**
   * Settles an upload's job once its rows are in (upload-job.sql.ts): suppressed numbers,
   * its place in the lane, its counts; the caller commits. Then, as for any large job, the
   * planner's statistics (committedUpload).
   */
  async finishUpload(
    m: NewUploadJob,
    start: UploadJobStart,
    totals: UploadJobTotals,
  ): Promise<MessageRow> {
    const [{ n: suppressed }] = totals.anySuppressed
      ? await m.db.query(SUPPRESS_UPLOADED_SQL, [start.id])
      : [{ n: 0 }];
    const settle = [
      start.id,
      totals.count,
      suppressed,
      totals.encoding,
      totals.segments,
      totals.totalSegments,
      totals.duplicatesRemoved,
      totals.validUntil,
    ];
    const cost = this.config.smsRateUnit === 'segment' ? totals.segments : 1;
    const [row] =
      start.tagStart === null
        ? await m.db.query(FINISH_HELD_UPLOAD_SQL, [...settle, String(m.holdUntil!.getTime())])
        : await m.db.query(FINISH_UPLOAD_SQL, [
            ...settle,
            m.userId,
            start.lane,
            cost,
            start.tagStart,
            start.step,
          ]);
    delete row.retagged;
    return this.inserted(m.db, m, row);
  }

  /** After an upload's commit (its rows are then visible to ANALYZE). */
  committedUpload(count: number): void {
    if (count >= LARGE_JOB) this.refreshQueueStatistics();
  }

  /** $1-$15 of every job-inserting statement. */
  private jobParams(m: Omit<NewMessage, 'phones'>, count: number): unknown[] {
    return [
      m.userId,
      m.content,
      m.encoding,
      m.segments,
      m.adhoc,
      count,
      m.duplicatesRemoved,
      m.sendAt,
      m.holdUntil,
      m.scheduled ? 'scheduled' : 'pending',
      m.validUntil,
      m.window?.start ?? null,
      m.window?.end ?? null,
      m.window?.timeZone ?? null,
      m.windowClosesAt,
    ];
  }

  /**
   * One-number jobs of concurrent callers (`isBatchable`, group commit in MessagesService),
   * each row as insertRows would have written it, in statements whose jobs of one user and
   * lane cost the same (INSERT_BATCH_SQL's condition), one after the other, in the order
   * given. A failed statement is tried again job by job, its own jobs only: the runs before
   * it are committed.
   */
  async insertSingles(items: NewMessage[]): Promise<ItemOutcome<MessageRow>[]> {
    const outcomes: ItemOutcome<MessageRow>[] = [];
    for (const run of this.equalCostRuns(items))
      outcomes.push(...(await eachAloneOnFailure(run, (jobs) => this.insertRun(jobs))));
    return outcomes;
  }

  private costOf(m: NewMessage): number {
    return this.config.smsRateUnit === 'segment' ? m.segments : 1;
  }

  /** `items` cut, in order, where a user's job in a lane would cost other than the ones before. */
  private equalCostRuns(items: NewMessage[]): NewMessage[][] {
    const runs: NewMessage[][] = [];
    let costs = new Map<string, number>();
    for (const m of items) {
      const key = `${m.userId}:${m.adhoc}`;
      const cost = costs.get(key);
      if (runs.length === 0 || (cost !== undefined && cost !== this.costOf(m))) {
        runs.push([]);
        costs = new Map();
      }
      costs.set(key, this.costOf(m));
      runs.at(-1)!.push(m);
    }
    return runs;
  }

  private async insertRun(items: NewMessage[]): Promise<MessageRow[]> {
    const col = <T>(f: (m: NewMessage) => T) => items.map(f);
    type BatchRow = MessageRow & {
      batch_index?: string;
      notified?: string;
      window_notified?: string;
    };
    const rows: BatchRow[] = await preparedQuery(
      this.dataSource,
      'insert_batch',
      INSERT_BATCH_SQL,
      [
        col((m) => m.userId),
        col((m) => m.content),
        col((m) => m.encoding),
        col((m) => m.segments),
        col((m) => m.adhoc),
        col((m) => m.phones[0]),
        col((m) => m.sendAt),
        col((m) => m.validUntil),
        col((m) => m.window?.start ?? null),
        col((m) => m.window?.end ?? null),
        col((m) => m.window?.timeZone ?? null),
        col((m) => m.windowClosesAt),
        col((m) => m.template?.id ?? null),
        col((m) => m.template?.version ?? null),
        col((m) => this.costOf(m)),
      ],
    );
    const byIndex = new Map(rows.map((r) => [Number(r.batch_index), r]));
    return items.map((_, i) => {
      const row = byIndex.get(i + 1);
      if (!row) throw new Error(`insertBatch: no row for item ${i + 1} of ${items.length}`);
      delete row.batch_index;
      delete row.notified;
      delete row.window_notified;
      return row;
    });
  }

  /** The job and its recipients (insertJobSql or, held, insertHeldJobSql). */
  private async insertRows(db: EntityManager, m: NewMessage): Promise<MessageRow> {
    const job = this.jobParams(m, m.phones.length);
    const p = m.personal;
    const tpl = [m.template?.id ?? null, m.template?.version ?? null];
    const extra = p
      ? [...tpl, true, p.totalSegments, textArrayLiteral(p.contents), textArrayLiteral(p.segments)]
      : tpl;
    const phones = textArrayLiteral(m.phones);
    const lane = m.adhoc ? 0 : 1;
    const cost = this.costOf(m);
    const [row] = m.holdUntil
      ? await db.query(p ? INSERT_PERSONAL_HELD_JOB_SQL : INSERT_HELD_JOB_SQL, [
          ...job,
          lane,
          phones,
          String(m.holdUntil.getTime()),
          ...extra,
        ])
      : await db.query(p ? INSERT_PERSONAL_JOB_SQL : INSERT_JOB_SQL, [
          ...job,
          lane,
          cost,
          phones,
          ...extra,
        ]);
    return this.inserted(db, m, row);
  }

  /** The job's row as answers read it; release schedulers told of its window's close. */
  private async inserted(
    db: EntityManager,
    m: Pick<NewMessage, 'windowClosesAt'>,
    row: MessageRow & { notified?: string },
  ): Promise<MessageRow> {
    delete row.notified;
    // Release schedulers re-read their next due time: the close of the window it sends in.
    if (m.windowClosesAt) {
      await db.query(`SELECT pg_notify($1, $2)`, [
        SCHEDULED_CHANNEL,
        String(m.windowClosesAt.getTime()),
      ]);
    }
    return row;
  }

  /**
   * Takes the key for this request (a key older than 24 h is taken over), or returns the
   * job of the earlier request that holds it. A concurrent holder makes the INSERT wait for
   * its commit, after which its job is visible here.
   */
  private async claimKey(
    tx: EntityManager,
    userId: number,
    k: IdempotencyClaim,
  ): Promise<InsertOutcome | undefined> {
    const taken = await tx.query(
      `INSERT INTO idempotency_keys AS i (user_id, key, request_hash, route) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, route = EXCLUDED.route,
         message_id = NULL, created_at = now()
       WHERE i.created_at < now() - interval '24 hours'
       RETURNING 1`,
      [userId, k.key, k.hash, k.route],
    );
    if (taken.length > 0) return undefined;
    const [earlier] = await tx.query(
      `SELECT request_hash, route, message_id FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
      [userId, k.key],
    );
    if (earlier.request_hash !== k.hash || earlier.route !== k.route) {
      throw conflict('Idempotency-Key was already used with a different request');
    }
    return { replayOf: earlier.message_id, route: earlier.route };
  }

  async firstPhone(messageId: number): Promise<string> {
    const [r] = await this.dataSource.query(
      `SELECT phone FROM recipients WHERE message_id = $1 AND ordinal = 1`,
      [messageId],
    );
    return r.phone;
  }

  async findById(id: number, userId?: number): Promise<MessageRow | null> {
    const rows = await this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = $1 AND ($2::int IS NULL OR user_id = $2)`,
      [id, userId ?? null],
    );
    return rows[0] ?? null;
  }

  async list(f: MessageFilter): Promise<{ items: MessageRow[]; total: number }> {
    // The search text is a bound parameter; only LIKE's own wildcards need escaping.
    const where = `($1::int IS NULL OR user_id = $1) AND ($2::text IS NULL OR job_status = $2)
      AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at <= $4)
      AND ($5::text IS NULL OR content ILIKE '%' || $5 || '%')`;
    const text = f.text === undefined ? null : f.text.replace(/[\\%_]/g, (c) => `\\${c}`);
    const params = [f.userId ?? null, f.jobStatus ?? null, f.from ?? null, f.to ?? null, text];
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT ${MESSAGE_COLUMNS}${f.withOwner ? OWNER_COLUMN : ''}
         FROM messages WHERE ${where} ORDER BY id DESC OFFSET $6 LIMIT $7`,
        [...params, f.offset, f.limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM messages WHERE ${where}`, params),
    ]);
    return { items, total: count[0].n };
  }

  async recipients(
    messageId: number,
    status: RecipientStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<{ items: RecipientRow[]; total: number }> {
    const where = `message_id = $1 AND ($2::text IS NULL OR status = $2)`;
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT id::text, phone, status, attempts, error_message, sent_at, delivery_status, delivered_at, content FROM recipients
         WHERE ${where} ORDER BY ordinal OFFSET $3 LIMIT $4`,
        [messageId, status ?? null, offset, limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM recipients WHERE ${where}`, [
        messageId,
        status ?? null,
      ]),
    ]);
    return { items, total: count[0].n };
  }
}
