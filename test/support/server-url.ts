/** The PostgreSQL server global-setup chose for this run (a DATABASE_URL or embedded). */
export function testServerUrl(): string {
  const url = process.env.SMSPANEL_TEST_SERVER_URL;
  if (!url) throw new Error('SMSPANEL_TEST_SERVER_URL unset: run the tests through `npm test`');
  return url;
}
