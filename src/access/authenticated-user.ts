/** What a request knows about its caller once a bearer token was accepted. */
export interface AuthenticatedUser {
  id: number;
  username: string;
  isAdmin: boolean;
  isActive: boolean;
  /** May send on the urgent lane (admins may regardless: see `mayQueueUrgent`). */
  canSendUrgent: boolean;
  /** Share of the rate inside a lane (1-100). */
  weight: number;
  createdAt: Date;
  via: 'api_token' | 'session';
  /** The session token's id and expiry (only when `via` is 'session'), for logout. */
  session?: { id: string; expiresAt: Date };
}

/** Whether the caller may queue urgent jobs: admins always, others when given the right. */
export const mayQueueUrgent = (u: Pick<AuthenticatedUser, 'isAdmin' | 'canSendUrgent'>) =>
  u.isAdmin || u.canSendUrgent;
