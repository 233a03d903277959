import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'users' })
@Index('users_username_lower_key', { synchronize: false })
export class UserEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ type: 'varchar', length: 64 })
  username: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  @Index('users_api_token_hash_key', { unique: true })
  @Column({ name: 'api_token_hash', type: 'char', length: 64, nullable: true })
  apiTokenHash: string | null;

  /** Bumped when the password changes or the account is disabled: older sessions stop working. */
  @Column({ name: 'session_version', type: 'integer', default: 0 })
  sessionVersion: number;

  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin: boolean;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  /** May mark jobs urgent (the urgent lane, served before every normal SMS). Admins always may. */
  @Column({ name: 'can_send_urgent', type: 'boolean', default: false })
  canSendUrgent: boolean;

  /** Share of the rate inside a lane relative to other users with SMS waiting (1-100). */
  @Column({ type: 'smallint', default: 1 })
  weight: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
