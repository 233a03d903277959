/**
 * A CSV upload's recipients staged in PostgreSQL (CONTENT.md: 1 000 000 rows, never held in
 * the process): COPYed into a temporary table of the upload's own transaction, then made into
 * the job's recipients set-based (messages.repository.ts, insertStagedJobSql) in the same
 * transaction. The table is dropped at commit or rollback, so a failed upload leaves nothing.
 */

/** One connection's staging table (a temporary table: no WAL, invisible to other sessions). */
export const STAGED_TABLE = 'csv_upload_rows';

/**
 * ord: the recipient's ordinal (1-based, in file order, duplicates already left out);
 * content and segments: its own text and count, null where it is the job's (as send-bulk's
 * personalised recipients).
 */
export const CREATE_STAGED_TABLE_SQL = `
  CREATE TEMPORARY TABLE ${STAGED_TABLE} (
    ord integer NOT NULL,
    phone text NOT NULL,
    content text,
    segments smallint
  ) ON COMMIT DROP`;

/** COPY's text format: tab-separated, `\N` for null (csv-staging.ts writes it). */
export const COPY_STAGED_SQL = `COPY ${STAGED_TABLE} (ord, phone, content, segments) FROM STDIN`;

/**
 * The staged rows that become the job's recipients: the one place where a CSV upload's rows
 * are chosen (a later filter, such as a suppression list, joins here).
 */
export const STAGED_RECIPIENTS_SQL = `SELECT ord, phone, content, segments FROM ${STAGED_TABLE}`;
