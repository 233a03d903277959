import { type SessionUser, setToken } from './api.js';

/** The login session, kept for this browser tab only (sessionStorage). */
export interface Session {
  token: string;
  expires_at: string;
  user: SessionUser;
}

const KEY = 'smspanel.session';

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    if (!s?.token || new Date(s.expires_at).getTime() <= Date.now()) return null;
    setToken(s.token);
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
  setToken(s.token);
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  setToken(null);
}
