import { ConfigError, loadConfig } from './config/load-config.js';

const startedAt = Date.now();
let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // One line naming the variable, before anything heavy is even loaded.
  console.error(`smspanel: ${err.message}`);
  process.exit(1);
}

const { start } = await import('./bootstrap.js');
await start(config, startedAt).catch((err: unknown) => {
  console.error('smspanel failed to start:', err);
  process.exit(1);
});
