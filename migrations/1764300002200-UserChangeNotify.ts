import { MigrationInterface, QueryRunner } from 'typeorm';

/** Payload: the user's id; an empty payload (TRUNCATE) means every user. */
export const USER_CHANGED_CHANNEL = 'user_changed';

/**
 * Processes cache API-token lookups (ApiTokenCache) and must drop a user's entry as soon as
 * the row changes. A trigger rather than the application's own writes sends the notice, so
 * an operator's UPDATE, the admin CLI and another process's writes are all seen.
 */
export class UserChangeNotify1764300002200 implements MigrationInterface {
  name = 'UserChangeNotify1764300002200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${USER_CHANGED_CHANNEL}', CASE WHEN TG_LEVEL = 'ROW' THEN OLD.id::text ELSE '' END);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_notify_changed AFTER UPDATE OR DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION notify_user_changed()`);
    await q.query(`
      CREATE TRIGGER users_notify_truncated AFTER TRUNCATE ON users
      FOR EACH STATEMENT EXECUTE FUNCTION notify_user_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_notify_truncated ON users`);
    await q.query(`DROP TRIGGER users_notify_changed ON users`);
    await q.query(`DROP FUNCTION notify_user_changed()`);
  }
}
