import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface TemplateRow {
  id: number;
  user_id: number;
  name: string;
  content: string;
  placeholders: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
  /** Admin listing only. */
  owner_username?: string | null;
}

const COLUMNS = `id, user_id, name, content, placeholders, version, created_at, updated_at`;
const OWNER_COLUMN = `, (SELECT username FROM users u WHERE u.id = user_id) AS owner_username`;

/** Templates and their versions. Every write keeps template_versions in step, in one statement. */
@Injectable()
export class TemplatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(
    userId: number,
    t: { name: string; content: string; placeholders: string[] },
  ): Promise<TemplateRow> {
    const [row] = await this.dataSource.query(
      `WITH t AS (
         INSERT INTO templates (user_id, name, content, placeholders) VALUES ($1, $2, $3, $4)
         RETURNING ${COLUMNS}
       ), v AS (
         INSERT INTO template_versions (template_id, version, name, content)
         SELECT id, version, name, content FROM t
       )
       SELECT * FROM t`,
      [userId, t.name, t.content, t.placeholders],
    );
    return row;
  }

  /** One template; with `userId`, only if it is that user's. */
  async find(id: number, userId?: number): Promise<TemplateRow | null> {
    const rows = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM templates WHERE id = $1 AND ($2::int IS NULL OR user_id = $2)`,
      [id, userId ?? null],
    );
    return rows[0] ?? null;
  }

  async list(
    f: { userId?: number; q?: string; withOwner?: boolean },
    offset: number,
    limit: number,
  ): Promise<{ items: TemplateRow[]; total: number }> {
    // The search text is a bound parameter; only LIKE's own wildcards need escaping.
    const where = `($1::int IS NULL OR user_id = $1)
      AND ($2::text IS NULL OR name ILIKE '%' || $2 || '%' OR content ILIKE '%' || $2 || '%')`;
    const text = f.q === undefined ? null : f.q.replace(/[\\%_]/g, (c) => `\\${c}`);
    const params = [f.userId ?? null, text];
    const [items, count] = await Promise.all([
      this.dataSource.query(
        `SELECT ${COLUMNS}${f.withOwner ? OWNER_COLUMN : ''} FROM templates
         WHERE ${where} ORDER BY id DESC OFFSET $3 LIMIT $4`,
        [...params, offset, limit],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM templates WHERE ${where}`, params),
    ]);
    return { items, total: count[0].n };
  }

  /** A new version with the given name and content (the row lock orders concurrent edits). */
  async update(
    id: number,
    userId: number,
    t: { name: string; content: string; placeholders: string[] },
  ): Promise<TemplateRow | null> {
    const rows = await this.dataSource.query(
      `WITH t AS (
         UPDATE templates SET name = $3, content = $4, placeholders = $5, version = version + 1,
           updated_at = now()
         WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}
       ), v AS (
         INSERT INTO template_versions (template_id, version, name, content)
         SELECT id, version, name, content FROM t
       )
       SELECT * FROM t`,
      [id, userId, t.name, t.content, t.placeholders],
    );
    return rows[0] ?? null;
  }

  async delete(id: number, userId: number): Promise<boolean> {
    const rows = await this.dataSource.query(
      `DELETE FROM templates WHERE id = $1 AND user_id = $2 RETURNING id`,
      [id, userId],
    );
    return rows[0].length > 0;
  }
}
