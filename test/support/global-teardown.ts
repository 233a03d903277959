import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as Record<string, unknown>).__SMSPANEL_EMBEDDED__ as
    { stop(): Promise<void> } | undefined;
  await db?.stop();
  if (process.env.SMSPANEL_TEST_SERVER_FILE)
    rmSync(process.env.SMSPANEL_TEST_SERVER_FILE, { force: true });
}
