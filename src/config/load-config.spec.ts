import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './load-config.js';

/** The one-line message a refused environment gets. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe(loadConfig.name, () => {
  it('applies the documented defaults', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      port: 3570,
      adminUsername: 'SMSadmin',
      smsProvider: 'simulator',
      smsRatePerSec: 2,
      smsBurstCapacity: 4,
      smsRateUnit: 'request',
      smsMaxAttempts: 3,
      queueConcurrency: 4,
      queueLeaseMs: 30000,
      smsRetryBaseMs: 1000,
      smsRetryMaxMs: 60000,
      smsMaxSegments: 10,
      smsMaxBulkRecipients: 100000,
      smsMaxCsvRows: 1000000,
      smsMaxConcurrentUploads: 2,
      rateLimitStore: 'postgres',
      queueRole: 'all',
      smsRequestTimeoutMs: 30000,
      loginThrottleIpLimit: 50,
      trustProxy: [],
    });
    expect(sut.databaseUrl).toBeUndefined();
    expect(sut.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('parses numbers, fractional rates and lists', () => {
    const sut = loadConfig({
      PORT: '8080',
      SMS_RATE_PER_SEC: '0.5',
      SMS_ALLOWED_COUNTRIES: 'HK, GB',
      SMS_DEFAULT_COUNTRY: 'HK',
    });
    expect(sut.port).toBe(8080);
    expect(sut.smsRatePerSec).toBe(0.5);
    expect(sut.smsAllowedCountries).toEqual(['HK', 'GB']);
    expect(sut.smsDefaultCountry).toBe('HK');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['SMS_RATE_PER_SEC', '-1'],
    ['SMS_BURST_CAPACITY', '0'],
    ['SMS_PROVIDER', 'carrier-pigeon'],
    ['QUEUE_ROLE', 'boss'],
    ['RATE_LIMIT_STORE', 'redis'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['SMS_ALLOWED_COUNTRIES', 'hk'],
    ['LOGIN_THROTTLE_IP_LIMIT', '0'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'loopback, 1.2.3'],
  ])('rejects %s=%s with a one-line message naming the variable', (name, value) => {
    const message = refusal({ [name]: value });
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('reads EVENT_RETENTION_DAYS: 30 by default, whole days 1-3650', () => {
    expect(loadConfig({}).eventRetentionDays).toBe(30);
    expect(loadConfig({ EVENT_RETENTION_DAYS: '7' }).eventRetentionDays).toBe(7);
    for (const bad of ['0', '3651', '1.5', 'week']) {
      expect(refusal({ EVENT_RETENTION_DAYS: bad })).toContain('EVENT_RETENTION_DAYS');
    }
  });

  it('reads METRICS_TOKEN: unset by default, at least 16 printable characters', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'scrape-me-0123456789' }).metricsToken).toBe(
      'scrape-me-0123456789',
    );
    for (const bad of ['too-short', 'has a space inside it']) {
      expect(refusal({ METRICS_TOKEN: bad })).toContain('METRICS_TOKEN');
    }
  });

  it('reads TRUST_PROXY as a list of names, addresses and subnets', () => {
    const sut = loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, ::1, fd00::/8' });
    expect(sut.trustProxy).toEqual(['loopback', '10.0.0.0/8', '::1', 'fd00::/8']);
  });

  it.each([
    ['METRICS_TOKEN', 'short-secret'],
    ['ADMIN_PASSWORD', 'pw12'],
    ['DATABASE_URL', 'mysql://user:hunter2@db/x'],
  ])('never repeats the value of a refused secret %s in its message', (name, value) => {
    const message = refusal({ [name]: value });
    expect(message).toContain(name);
    expect(message).not.toContain(value);
  });

  it('reads SMS_RATE_UNIT: request or segment, anything else refused', () => {
    const sut = loadConfig({
      SMS_RATE_UNIT: 'segment',
      SMS_BURST_CAPACITY: '10',
      SMS_MAX_SEGMENTS: '10',
    });
    expect(sut.smsRateUnit).toBe('segment');
    expect(refusal({ SMS_RATE_UNIT: 'part' })).toContain('SMS_RATE_UNIT');
  });

  it('refuses a burst below SMS_MAX_SEGMENTS with SMS_RATE_UNIT=segment, in one line', () => {
    const message = refusal({
      SMS_RATE_UNIT: 'segment',
      SMS_BURST_CAPACITY: '9',
      SMS_MAX_SEGMENTS: '10',
    });
    expect(message).toContain('SMS_BURST_CAPACITY=9');
    expect(message).toContain('SMS_MAX_SEGMENTS (10)');
    expect(message).not.toContain('\n');
    // The defaults (burst 4, 10 segments) do not fit a segment bucket either.
    expect(refusal({ SMS_RATE_UNIT: 'segment' })).toContain('SMS_BURST_CAPACITY=4');
    // Counted in requests, a small burst is fine.
    expect(loadConfig({ SMS_BURST_CAPACITY: '1', SMS_MAX_SEGMENTS: '10' }).smsBurstCapacity).toBe(
      1,
    );
  });

  it('requires SMS_BASE_URL for a real gateway', () => {
    expect(() => loadConfig({ SMS_PROVIDER: 'hkt' })).toThrow(/SMS_BASE_URL/);
  });
});
