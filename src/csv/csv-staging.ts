import type { PoolClient } from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { UploadJobStart } from '../messages/messages.repository.js';
import { copyRecipientsSql } from '../messages/upload-job.sql.js';

/** A CSV upload's statements' limit (its transaction only). */
const STATEMENT_TIMEOUT = '10min';

/** Characters of COPY text sent at once: few writes, little held. */
const BATCH_CHARS = 256 * 1024;

/**
 * COPY text held here while PostgreSQL catches up: parsing goes on while it stores the rows
 * before (a few batches; with none, each batch waited for the one before to be taken).
 */
const COPY_AHEAD_BYTES = 4 * 1024 * 1024;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const NEEDS_ESCAPE = /[\\\t\n\r]/;
/** A value in COPY's text format. */
const copyText = (s: string) =>
  NEEDS_ESCAPE.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]) : s;

/**
 * A CSV upload's recipients on their way into PostgreSQL (upload-job.sql.ts): a transaction
 * on a connection of its own, the job's row opened in it, and a COPY into `recipients` that
 * rows are written to as they are parsed, in batches, waiting when the connection is full (so
 * the upload goes no faster than PostgreSQL takes it, and nothing piles up here). Parsing here
 * and storing there run side by side, on two cores. `commit` ends it; `abort` (any failure)
 * rolls it back, the job and its rows with it.
 */
export class CsvStaging {
  private batch = '';
  private count = 0;
  private failure: Error | undefined;
  private copying = true;

  /** What every row repeats: its job; its lane and state (and, sent now, its tag). */
  private readonly prefix: string;
  private readonly middle: string;

  private constructor(
    private readonly runner: QueryRunner,
    private readonly copy: Writable,
    readonly job: UploadJobStart,
  ) {
    copy.on('error', (e: Error) => (this.failure ??= e));
    this.prefix = `${job.id}\t`;
    this.middle = job.tagStart === null ? `\t${job.lane}\theld\t` : `\t${job.lane}\t`;
  }

  /** Opens the transaction, then the job in it (`begin`), then the COPY of its rows. */
  static async open(
    dataSource: DataSource,
    begin: (db: EntityManager) => Promise<UploadJobStart>,
  ): Promise<CsvStaging> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      // The COPY lasts as long as the client takes to send the body, and the statement that
      // makes a million recipients takes seconds too: the pool's 30 s limit per statement
      // would cut a large upload short. Bounded still (the HTTP server bounds the body too).
      await runner.query(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`);
      const job = await begin(runner.manager);
      // TypeORM's runner holds the pg client its queries go through; COPY needs that client.
      const client = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
      const copy = client.query(
        pgCopyStreams.from(copyRecipientsSql(job.tagStart === null), {
          highWaterMark: COPY_AHEAD_BYTES,
        }),
      );
      return new CsvStaging(runner, copy, job);
    } catch (e) {
      await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
      throw e;
    }
  }

  /** The transaction's queries, for the statements that settle the job (after `finish`). */
  get db(): EntityManager {
    return this.runner.manager;
  }

  /**
   * Writes the next recipient (its ordinal is the count so far + 1); a promise when the
   * caller has to wait for PostgreSQL before the next one.
   */
  add(phone: string, content: string | null, segments: number | null): void | Promise<void> {
    const ord = ++this.count;
    const { tagStart, step } = this.job;
    // The same float8 arithmetic as fairTagSql, so the tags equal what SQL would write.
    const tagged = tagStart === null ? '' : `${tagStart + (ord - 1) * step!}\tpending\t`;
    this.batch += `${this.prefix}${ord}\t${copyText(phone)}${this.middle}${tagged}${content === null ? '\\N' : copyText(content)}\t${segments ?? '\\N'}\n`;
    if (this.batch.length < BATCH_CHARS) return;
    return this.flush();
  }

  private flush(): void | Promise<void> {
    if (this.failure) throw this.failure;
    const full = !this.copy.write(this.batch);
    this.batch = '';
    if (full) {
      return new Promise((resolve, reject) => {
        const done = (e?: Error) => {
          this.copy.off('drain', onDrain);
          this.copy.off('error', done);
          if (e) reject(e);
          else resolve();
        };
        const onDrain = () => done();
        this.copy.on('drain', onDrain);
        this.copy.on('error', done);
      });
    }
  }

  /** Ends the COPY; the number of rows written. */
  async finish(): Promise<number> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.copy.once('error', reject);
      this.copy.end(() => resolve());
    });
    this.copying = false;
    return this.count;
  }

  async commit(): Promise<void> {
    try {
      await this.runner.commitTransaction();
    } finally {
      await this.runner.release();
    }
  }

  /**
   * Rolls everything back: a COPY still running is failed first (pg-copy-streams sends
   * CopyFail on destroy), so the connection is fit for the ROLLBACK and for the pool after.
   */
  async abort(): Promise<void> {
    let broken: unknown;
    try {
      if (this.copying && !this.copy.destroyed) {
        await new Promise<void>((resolve) => {
          this.copy.once('close', () => resolve());
          this.copy.destroy(new Error('CSV upload abandoned'));
        });
      }
      this.copying = false;
      if (this.runner.isTransactionActive) await this.runner.rollbackTransaction();
    } catch (e) {
      broken = e;
    } finally {
      // A connection that could not roll back is closed, never handed out again.
      const runner = this.runner as unknown as {
        releasePostgresConnection(e?: unknown): Promise<void>;
      };
      await runner.releasePostgresConnection(broken);
    }
  }
}
