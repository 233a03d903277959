import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Wakes every worker when the queue is paused or resumed. */
export const QUEUE_CONTROL_CHANNEL = 'queue_control';

/** The cluster-wide pause switch, kept in the database so every process obeys it. */
@Injectable()
export class QueueControlRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
}
