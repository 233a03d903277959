import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface SuppressionRow {
  phone: string;
  reason: string | null;
  created_at: Date;
  created_by: string | null;
}

/** Batches written in one transaction: committed together, or none of them. */
export interface ImportSession {
  addMany(phones: string[], reasons: (string | null)[], createdBy: number): Promise<AddOutcome>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** What an INSERT of numbers found: `added` new ones, `already` there. */
export interface AddOutcome {
  added: number;
  already: number;
}

const COLUMNS = `s.phone, s.reason, s.created_at, (SELECT username FROM users u WHERE u.id = s.created_by) AS created_by`;

/** The suppression list (CONTENT.md): E.164 numbers never sent to, keyed by the number. */
@Injectable()
export class SuppressionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `prefix`: numbers starting with it (LIKE's wildcards in it are escaped). */
  async list(
    prefix: string | undefined,
    offset: number,
    limit: number,
  ): Promise<{ items: SuppressionRow[]; total: number }> {
    const pattern = prefix === undefined ? null : `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
    const where = `($1::text IS NULL OR s.phone LIKE $1)`;
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT ${COLUMNS} FROM suppressions s WHERE ${where}
         ORDER BY s.created_at DESC, s.phone OFFSET $2 LIMIT $3`,
        [pattern, offset, limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM suppressions s WHERE ${where}`, [
        pattern,
      ]),
    ]);
    return { items, total: count[0].n };
  }

  async find(phone: string): Promise<SuppressionRow | null> {
    const rows = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM suppressions s WHERE s.phone = $1`,
      [phone],
    );
    return rows[0] ?? null;
  }

  /** Adds the number unless it is there; true when it was added. */
  async add(phone: string, reason: string | null, createdBy: number): Promise<boolean> {
    const rows = await this.dataSource.query(
      `INSERT INTO suppressions (phone, reason, created_by) VALUES ($1, $2, $3)
       ON CONFLICT (phone) DO NOTHING RETURNING 1`,
      [phone, reason, createdBy],
    );
    return rows.length > 0;
  }

  /** A transaction for an import (one connection held until commit or rollback). */
  async importSession(): Promise<ImportSession> {
    const qr = this.dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
    } catch (e) {
      await qr.release();
      throw e;
    }
    const end = async (how: 'commitTransaction' | 'rollbackTransaction') => {
      try {
        await qr[how]();
      } finally {
        await qr.release();
      }
    };
    return {
      addMany: (phones, reasons, createdBy) => addMany(qr.manager, phones, reasons, createdBy),
      commit: () => end('commitTransaction'),
      rollback: () => end('rollbackTransaction'),
    };
  }

  /** True when the number was there. */
  async remove(phone: string): Promise<boolean> {
    // Wrapped in a SELECT: TypeORM answers a bare DELETE with [rows, count].
    const [row] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM suppressions WHERE phone = $1 RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [phone],
    );
    return row.n > 0;
  }

  /**
   * How many of `phones` (E.164) are on the list: one statement for a whole batch, and none
   * past a one-row probe while the list is empty (the usual case: a large upload's numbers
   * are then not even sent to the database).
   */
  async countAmong(phones: string[]): Promise<number> {
    if (phones.length === 0) return 0;
    const [probe] = await this.dataSource.query(`SELECT EXISTS (SELECT FROM suppressions) AS any`);
    if (!probe.any) return 0;
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM suppressions WHERE phone = ANY ($1::text[])`,
      [phones],
    );
    return row.n;
  }
}

/**
 * Adds a batch of numbers (distinct, E.164) in one statement; those already there keep
 * their entry.
 */
async function addMany(
  db: EntityManager,
  phones: string[],
  reasons: (string | null)[],
  createdBy: number,
): Promise<AddOutcome> {
  if (phones.length === 0) return { added: 0, already: 0 };
  const rows = await db.query(
    `WITH added AS (
       INSERT INTO suppressions (phone, reason, created_by)
       SELECT t.phone, t.reason, $3 FROM unnest($1::text[], $2::text[]) AS t(phone, reason)
       ON CONFLICT (phone) DO NOTHING RETURNING 1
     ) SELECT count(*)::int AS n FROM added`,
    [phones, reasons, createdBy],
  );
  return { added: rows[0].n, already: phones.length - rows[0].n };
}
