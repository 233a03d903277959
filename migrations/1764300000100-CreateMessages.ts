import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMessages1764300000100 implements MigrationInterface {
  name = 'CreateMessages1764300000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE messages (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        -- Kept when the owner is deleted: the job's history outlives the account.
        user_id integer REFERENCES users (id) ON DELETE SET NULL,
        content text NOT NULL,
        encoding varchar(4) NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
        segments smallint NOT NULL CHECK (segments > 0),
        adhoc boolean NOT NULL DEFAULT false,
        job_status varchar(10) NOT NULL DEFAULT 'pending'
          CHECK (job_status IN ('pending', 'sending', 'completed', 'partial', 'failed', 'cancelled')),
        -- The old panel's field, derived so it can never disagree with job_status.
        status varchar(10) GENERATED ALWAYS AS (
          CASE job_status WHEN 'sending' THEN 'pending' WHEN 'completed' THEN 'sent' ELSE job_status END
        ) STORED,
        recipient_count integer NOT NULL CHECK (recipient_count > 0),
        sent_count integer NOT NULL DEFAULT 0,
        failed_count integer NOT NULL DEFAULT 0,
        cancelled_count integer NOT NULL DEFAULT 0,
        duplicates_removed integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        last_sent_at timestamptz,
        completed_at timestamptz,
        CHECK (sent_count + failed_count + cancelled_count <= recipient_count)
      )`);
    await q.query(`CREATE INDEX messages_user_created_idx ON messages (user_id, id DESC)`);
    await q.query(`CREATE INDEX messages_created_idx ON messages (created_at)`);
    // Unfinished jobs in queue order (adhoc first, then oldest): serves queue position,
    // ETA and status counts without touching finished history.
    await q.query(`
      CREATE INDEX messages_unfinished_idx ON messages (adhoc DESC, id)
      WHERE job_status IN ('pending', 'sending')`);

    await q.query(`
      CREATE TABLE recipients (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id integer NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        ordinal integer NOT NULL,
        phone varchar(20) NOT NULL,
        -- 0 for adhoc jobs, 1 otherwise: copied from the job so one index serves the claim.
        priority smallint NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        attempts smallint NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
        lease_owner varchar(64),
        lease_expires_at timestamptz,
        error_message text,
        gateway_response text,
        sent_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (message_id, ordinal)
      ) WITH (fillfactor = 80)`);
    // The claim walks this in queue order; only waiting rows are in it, so it stays small
    // as the backlog drains (fillfactor leaves room for HOT status updates).
    await q.query(`
      CREATE INDEX recipients_claim_idx ON recipients (priority, message_id, ordinal)
      WHERE status = 'pending'`);
    await q.query(`
      CREATE INDEX recipients_lease_idx ON recipients (lease_expires_at)
      WHERE status = 'sending'`);
    await q.query(
      `CREATE INDEX recipients_failed_idx ON recipients (updated_at) WHERE status = 'failed'`,
    );
    await q.query(
      `CREATE INDEX recipients_sent_at_idx ON recipients (sent_at) WHERE sent_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE recipients`);
    await q.query(`DROP TABLE messages`);
  }
}
