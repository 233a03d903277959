import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UserEntity } from '../users/user.entity.js';

/** Session tokens ended by a logout (by jti), kept only until they would have expired. */
@Injectable()
export class RevokedSessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The user of a session, or null when the user is gone or this session was logged out.
   * One statement: the user's primary key plus one probe of revoked_sessions' primary key,
   * so a session costs no more round trips than an API token.
   */
  findSessionUser(userId: number, jti: string): Promise<UserEntity | null> {
    return this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('u.id = :userId', { userId })
      .andWhere('NOT EXISTS (SELECT 1 FROM revoked_sessions r WHERE r.jti = :jti)', { jti })
      .getOne();
  }

  /** Ends one session; rows of tokens that expired meanwhile go at the same time. */
  async revoke(jti: string, expiresAt: Date): Promise<void> {
    await this.dataSource.query(
      `WITH pruned AS (DELETE FROM revoked_sessions WHERE expires_at < now())
       INSERT INTO revoked_sessions (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`,
      [jti, expiresAt],
    );
  }
}
