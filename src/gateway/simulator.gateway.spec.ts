import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SimulatorGateway } from './adapters/simulator.gateway.js';
import { GatewayError, TransientGatewayError } from './sms-gateway.js';

describe(SimulatorGateway.name, () => {
  beforeAll(() => Logger.overrideLogger(['error']));

  it('records what it sent and counts', async () => {
    const sut = new SimulatorGateway({ latencyMs: 0, failureRatio: 0 });
    const answer = await sut.send({ to: '+85291234567', text: 'hi' });
    await sut.send({ to: '+85291234568', text: 'yo' });
    expect(answer.status).toBe(200);
    expect(sut.totalSent).toBe(2);
    expect(sut.sent().map((s) => s.to)).toEqual(['+85291234567', '+85291234568']);
    expect(sut.sent()[0]).toMatchObject({ text: 'hi', at: expect.any(Number) });
  });

  it('writes a masked debug line per send only when asked to (LOG_LEVEL debug or trace)', async () => {
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    try {
      await new SimulatorGateway({ latencyMs: 0, failureRatio: 0 }).send({
        to: '+85291234567',
        text: 'a',
      });
      expect(debug).not.toHaveBeenCalled();
      await new SimulatorGateway({ latencyMs: 0, failureRatio: 0, logSends: true }).send({
        to: '+85291234567',
        text: 'b',
      });
      expect(debug.mock.calls).toEqual([['simulated SMS #1 to +852******67']]);
    } finally {
      debug.mockRestore();
    }
  });

  it('keeps only the last 10 000 sends', async () => {
    const sut = new SimulatorGateway({ latencyMs: 0, failureRatio: 0 });
    for (let i = 0; i < 20_005; i++) await sut.send({ to: `+1${i}`, text: 't' });
    expect(sut.totalSent).toBe(20_005);
    expect(sut.sent()).toHaveLength(10_000);
    expect(sut.sent().at(-1)?.to).toBe('+120004');
    expect(sut.sent()[0].to).toBe('+110005');
  });

  it('always fails transiently with failureRatio 1', async () => {
    const sut = new SimulatorGateway({ latencyMs: 0, failureRatio: 1 });
    for (let i = 0; i < 5; i++) {
      await expect(sut.send({ to: '+85291234567', text: 'x' })).rejects.toBeInstanceOf(
        TransientGatewayError,
      );
    }
    await expect(sut.send({ to: '+85291234567', text: 'x' })).rejects.toMatchObject({
      message: 'simulated failure',
      status: 503,
    });
    expect(sut.totalSent).toBe(0);
  });

  it('stops its latency sleep when the caller aborts', async () => {
    const sut = new SimulatorGateway({ latencyMs: 10_000, failureRatio: 0 });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 20);
    const err = await sut.send({ to: '+85291234567', text: 'x' }, ac.signal).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).not.toBeInstanceOf(GatewayError);
    expect((err as Error).name).toBe('AbortError');
    expect(sut.sent()).toHaveLength(0);
  });
});
