import { describe, expect, it } from '@jest/globals';
import { hostProblem, isBlockedAddress, urlFormProblem } from './url-guard.js';

describe('webhook URL guard', () => {
  it.each([
    '0.0.0.0',
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '::',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    '[::1]',
    'not-an-ip',
  ])('blocks %s', (a) => expect(isBlockedAddress(a)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:1.1.1.1'])(
    'lets %s through',
    (a) => expect(isBlockedAddress(a)).toBe(false),
  );

  it('checks the form: http(s), absolute, at most 2 000 characters', () => {
    expect(urlFormProblem('https://example.com/x')).toBeNull();
    expect(urlFormProblem('gopher://example.com')).toMatch(/http or https/);
    expect(urlFormProblem('/relative')).toMatch(/absolute/);
    expect(urlFormProblem(`https://e.com/${'x'.repeat(1990)}`)).toMatch(/2000/);
  });

  it('refuses a host when any of its addresses is refused, or when it does not resolve', async () => {
    const dns = (map: Record<string, string[]>) => async (h: string) => {
      if (!map[h]) throw new Error('ENOTFOUND');
      return map[h];
    };
    const resolve = dns({
      'ok.test': ['93.184.216.34'],
      'mixed.test': ['93.184.216.34', '10.0.0.5'],
    });
    expect(await hostProblem('https://ok.test/h', resolve)).toBeNull();
    expect(await hostProblem('https://mixed.test/h', resolve)).toMatch(/10\.0\.0\.5/);
    expect(await hostProblem('https://nowhere.test/h', resolve)).toMatch(/does not resolve/);
    expect(await hostProblem('https://[::1]:8443/h', resolve)).toMatch(/::1/);
  });
});
