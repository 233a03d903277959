import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const SHIPPED = ['README.md', 'docker-compose.yml', 'Dockerfile'];

/**
 * A value a reader fills in (`<password>`, `smsp_...`) or takes from the environment (`$VAR`,
 * `${VAR}`, `$(command)`).
 */
const PLACEHOLDER = /^(<[^>]*>|\$\{?\w+|\$\()|(\.\.\.|…)$/;
/** Variables and JSON fields that hold a credential. */
const SECRET_NAME = /\w*(PASSWORD|SECRET|TOKEN)\w*|"password"/;

/** Every literal credential in `text`: `NAME=value`, `NAME: value`, `"password":"…"`, URLs. */
function literalSecrets(text: string): string[] {
  const found: string[] = [];
  const assignment = new RegExp(
    `(?<![{\\w])(${SECRET_NAME.source})\\s*[=:]\\s*('[^']*'|"[^"]*"|\\$\\{[^}]*\\}|[^\\s,}]+)`,
    'g',
  );
  for (const [whole, , , raw] of text.matchAll(assignment)) {
    const value = raw.replace(/^['"]|['"]$/g, '');
    // `${VAR:-default}`: the default is the shipped value.
    const fallback = /^\$\{\w+:?-([^}]*)\}$/.exec(value)?.[1];
    if (fallback) found.push(whole);
    else if (value && !PLACEHOLDER.test(value)) found.push(whole);
  }
  for (const [whole, password] of text.matchAll(/\w+:\/\/[^:/\s@]+:([^@\s]+)@/g)) {
    if (!PLACEHOLDER.test(password)) found.push(whole);
  }
  return found;
}

describe('Shipped configuration', () => {
  it('finds literal credentials (the check itself)', () => {
    expect(
      literalSecrets(
        [
          'ADMIN_PASSWORD: ${ADMIN_PASSWORD:-change-me-now}',
          "ADMIN_PASSWORD='a long password' docker compose up",
          'POSTGRES_PASSWORD: smspanel',
          'DATABASE_URL: postgres://smspanel:smspanel@postgres:5432/smspanel',
          `-d '{"username":"alice","password":"a long password"}'`,
        ].join('\n'),
      ),
    ).toHaveLength(5);
    expect(
      literalSecrets(
        [
          'ADMIN_PASSWORD: ${ADMIN_PASSWORD:-}',
          'POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}',
          'DATABASE_URL: postgres://smspanel:${POSTGRES_PASSWORD:?x}@postgres:5432/db',
          `-d '{"username":"SMSadmin","password":"<printed password>"}'`,
          'export POSTGRES_PASSWORD="$(openssl rand -hex 24)"',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it.each(SHIPPED)('%s holds no usable default password or secret', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/change-me/i);
    expect(literalSecrets(text)).toEqual([]);
  });

  it('docker-compose.yml requires POSTGRES_PASSWORD and leaves ADMIN_PASSWORD to be generated', () => {
    const compose = read('docker-compose.yml');
    expect(compose).toContain('ADMIN_PASSWORD: ${ADMIN_PASSWORD:-}');
    const required = compose.match(/\$\{POSTGRES_PASSWORD:\?[^}]+\}/g) ?? [];
    // The database's own setting and the URL the app connects with.
    expect(required).toHaveLength(2);
    expect(compose).not.toMatch(/POSTGRES_PASSWORD:\s*\w/);
  });
});
