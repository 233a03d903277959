import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { UserEntity } from './user.entity.js';

/** What a request needs to know of its caller; no password hash is kept in memory. */
export type CachedUser = Pick<
  UserEntity,
  'id' | 'username' | 'isAdmin' | 'isActive' | 'canSendUrgent' | 'weight' | 'createdAt'
>;

export const API_TOKEN_CACHE_SIZE = 10_000;
/** A safety net only: changes are pushed (forget, clear), this bounds a missed one. */
export const API_TOKEN_CACHE_TTL_MS = 60_000;

interface Entry {
  user: CachedUser;
  expiresAt: number;
}

/**
 * API-token hash → user, so an API call costs no database round trip to find its caller.
 * A change to a user must take effect at once, so entries are trusted only while `live`, that
 * is while the LISTEN connection that reports every change to the users table is up.
 */
@Injectable()
export class ApiTokenCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashOfUser = new Map<number, string>();
  /** Bumped by every invalidation: a load that overlapped one may have read the old row. */
  private generation = 0;
  private live = false;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async lookup(hash: string, load: () => Promise<CachedUser | null>): Promise<CachedUser | null> {
    const hit = this.live ? this.fresh(hash) : undefined;
    if (hit) return hit;
    const generation = this.generation;
    const user = await load();
    if (user && this.live && generation === this.generation) this.store(hash, user);
    return user;
  }

  forget(userId: number): void {
    this.generation += 1;
    const hash = this.hashOfUser.get(userId);
    if (hash !== undefined) this.drop(hash, userId);
  }

  clear(): void {
    this.generation += 1;
    this.byHash.clear();
    this.hashOfUser.clear();
  }

  /** Both ways, changes may have gone unnoticed until now: nothing cached is kept. */
  setLive(live: boolean): void {
    this.live = live;
    this.clear();
  }

  private fresh(hash: string): CachedUser | undefined {
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt > this.clock.now()) return entry.user;
    this.drop(hash, entry.user.id);
    return undefined;
  }

  private store(hash: string, u: CachedUser): void {
    // A user has one token: an entry under another hash is a token since replaced.
    const previous = this.hashOfUser.get(u.id);
    if (previous !== undefined) this.drop(previous, u.id);
    const { id, username, isAdmin, isActive, canSendUrgent, weight, createdAt } = u;
    const user = { id, username, isAdmin, isActive, canSendUrgent, weight, createdAt };
    this.byHash.set(hash, { user, expiresAt: this.clock.now() + API_TOKEN_CACHE_TTL_MS });
    this.hashOfUser.set(id, hash);
    if (this.byHash.size > API_TOKEN_CACHE_SIZE) {
      const [oldest, entry] = this.byHash.entries().next().value!;
      this.drop(oldest, entry.user.id);
    }
  }

  private drop(hash: string, userId: number): void {
    this.byHash.delete(hash);
    if (this.hashOfUser.get(userId) === hash) this.hashOfUser.delete(userId);
  }
}
