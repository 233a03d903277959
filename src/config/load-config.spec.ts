import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './load-config.js';

describe(loadConfig.name, () => {
  it('applies the documented defaults', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      port: 3570,
      adminUsername: 'SMSadmin',
      smsProvider: 'simulator',
      smsRatePerSec: 2,
      smsBurstCapacity: 4,
      smsMaxAttempts: 3,
      queueConcurrency: 4,
      queueLeaseMs: 30000,
      smsRetryBaseMs: 1000,
      smsRetryMaxMs: 60000,
      smsMaxSegments: 10,
      smsMaxBulkRecipients: 100000,
      rateLimitStore: 'postgres',
      queueRole: 'all',
      smsRequestTimeoutMs: 30000,
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
  ])('rejects %s=%s with a one-line message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      expect((err as Error).message).toContain(name);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('requires SMS_BASE_URL for a real gateway', () => {
    expect(() => loadConfig({ SMS_PROVIDER: 'hkt' })).toThrow(/SMS_BASE_URL/);
  });
});
