import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

// OWASP's argon2id baseline; about 30 ms here, slow for a guesser, fine for a login.
const OPTIONS = { type: argon2.argon2id as 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const hashPassword = (password: string) => argon2.hash(password, OPTIONS);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A real hash to verify against when the user does not exist, so timing does not tell. */
let decoy: Promise<string> | undefined;
export const decoyHash = () => (decoy ??= hashPassword('decoy-password-never-matches'));

/** A password made for someone (first admin, operator reset): 96 random bits, printed once. */
export const newRandomPassword = () => randomBytes(12).toString('base64url');
