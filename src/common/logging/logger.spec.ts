import { describe, expect, it, jest } from '@jest/globals';
import pino from 'pino';
import { NestPinoLogger } from './logger.js';

/** A logger at `level` writing its lines into `lines`. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe(NestPinoLogger.name, () => {
  it('writes lines at or above the level, with their context', () => {
    const { logger, lines } = capture('warn');
    const sut = new NestPinoLogger(logger);
    sut.warn('low on tokens', 'QueueWorker');
    sut.error({ jobId: 7 }, 'failed', 'QueueWorker');
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: 'low on tokens', context: 'QueueWorker' }),
      expect.objectContaining({ level: 50, msg: 'failed', jobId: 7, context: 'QueueWorker' }),
    ]);
  });

  it('builds nothing for a line below the level: pino is not even called', () => {
    const { logger, lines } = capture('warn');
    const debug = jest.spyOn(logger, 'debug');
    const info = jest.spyOn(logger, 'info');
    const sut = new NestPinoLogger(logger);
    sut.debug('simulated SMS #1', 'SimulatorGateway');
    sut.log({ big: 'object' }, 'ignored', 'Somewhere');
    expect(debug).not.toHaveBeenCalled();
    expect(info).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });
});
