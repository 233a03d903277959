import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { hashPassword } from './password-hasher.js';
import { hashApiToken, newApiToken } from './api-tokens.js';
import { conflict, notFound } from '../common/app-error.js';
import { PaginationQueryDto } from '../common/pagination.dto.js';
import { UserEntity } from './user.entity.js';
import { ApiTokenCache } from './api-token-cache.js';

export interface NewUser {
  username: string;
  password: string;
  isAdmin?: boolean;
  canSendUrgent?: boolean;
  weight?: number;
}

export interface UserChanges {
  password?: string;
  isActive?: boolean;
  isAdmin?: boolean;
  canSendUrgent?: boolean;
  weight?: number;
}

/**
 * Writes to what the API-token cache holds end with `apiTokens.forget`: the change must hold
 * for this process's next request, before the trigger's notification comes back.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly apiTokens: ApiTokenCache,
  ) {}

  findById(id: number): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    // PostgreSQL text cannot hold NUL (the query would fail), and no username contains one.
    if (typeof username === 'string' && username.includes('\u0000')) return Promise.resolve(null);
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getOne();
  }

  findByApiTokenHash(apiTokenHash: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ apiTokenHash });
  }

  /** Creates the user with a fresh API token, returned in full only here. */
  async create(input: NewUser): Promise<{ user: UserEntity; token: string }> {
    if (await this.findByUsername(input.username)) throw conflict('Username already exists');
    const token = newApiToken();
    const user = this.users.create({
      username: input.username,
      passwordHash: await hashPassword(input.password),
      apiTokenHash: hashApiToken(token),
      isAdmin: input.isAdmin ?? false,
      // Users created after the lanes migration must be given the urgent right explicitly.
      canSendUrgent: input.canSendUrgent ?? false,
      weight: input.weight ?? 1,
    });
    // A concurrent twin still hits the unique index; the error filter answers 409 for it.
    return { user: await this.users.save(user), token };
  }

  async list(q: PaginationQueryDto): Promise<{ items: UserEntity[]; total: number }> {
    const [items, total] = await this.users.findAndCount({
      order: { id: 'ASC' },
      skip: (q.page - 1) * q.per_page,
      take: q.per_page,
    });
    return { items, total };
  }

  async update(actorId: number, id: number, changes: UserChanges): Promise<UserEntity> {
    const user = await this.findById(id);
    if (!user) throw notFound('User');
    if (actorId === id && (changes.isActive === false || changes.isAdmin === false)) {
      throw conflict('An admin cannot disable or demote themself');
    }
    if (changes.password !== undefined) {
      user.passwordHash = await hashPassword(changes.password);
      user.sessionVersion += 1;
    }
    if (changes.isActive !== undefined) {
      if (!changes.isActive && user.isActive) user.sessionVersion += 1;
      user.isActive = changes.isActive;
    }
    if (changes.isAdmin !== undefined) user.isAdmin = changes.isAdmin;
    if (changes.canSendUrgent !== undefined) user.canSendUrgent = changes.canSendUrgent;
    if (changes.weight !== undefined) user.weight = changes.weight;
    user.updatedAt = new Date();
    const saved = await this.users.save(user);
    this.apiTokens.forget(id);
    return saved;
  }

  async remove(actorId: number, id: number): Promise<void> {
    if (actorId === id) throw conflict('An admin cannot delete themself');
    const result = await this.users.delete({ id });
    this.apiTokens.forget(id);
    if (!result.affected) throw notFound('User');
  }

  /** Replaces the user's API token; the old one stops working at once. */
  async rotateToken(id: number): Promise<string> {
    const token = newApiToken();
    await this.setApiTokenHash(id, hashApiToken(token));
    return token;
  }

  /** Takes the user's API token away (until an admin or the user makes a new one). */
  revokeToken(id: number): Promise<void> {
    return this.setApiTokenHash(id, null);
  }

  private async setApiTokenHash(id: number, apiTokenHash: string | null): Promise<void> {
    const result = await this.users.update({ id }, { apiTokenHash, updatedAt: new Date() });
    this.apiTokens.forget(id);
    if (!result.affected) throw notFound('User');
  }

  /** Ends every session token of the user (logout everywhere); the API token stays. */
  async endSessions(id: number): Promise<void> {
    await this.users.increment({ id }, 'sessionVersion', 1);
  }
}
