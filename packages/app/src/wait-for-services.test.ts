import { describe, expect, it } from 'vitest';
import { createLogger, InfrastructureError, QueueUnavailableError } from '@inflow/core';
import { connectWhenAvailable, isOutage, ServicesUnavailableError } from './wait-for-services.js';

function logged(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', format: 'text', sink: (line) => lines.push(line) }) };
}

/** A connect that fails with each of `failures` in turn, then answers 'engine'. */
function failing(...failures: Error[]): { connect: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    connect: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'engine';
    },
    calls: () => calls,
  };
}

const fast = { firstDelayMs: 5, maxDelayMs: 20 };

describe('connectWhenAvailable', () => {
  it('tries again while a service is down, warning at each attempt, and says when it got through', async () => {
    const { lines, logger } = logged();
    const attempts = failing(new InfrastructureError('store', 'connect ECONNREFUSED 127.0.0.1:9200'), new QueueUnavailableError('pulsar admin GET /admin/v2/clusters: 503', 5));
    await expect(connectWhenAvailable('distributed engine', attempts.connect, { timeoutMs: 0, logger, ...fast })).resolves.toBe('engine');
    expect(attempts.calls()).toBe(3);
    expect(lines.filter((line) => line.includes('WARN'))).toEqual([
      expect.stringMatching(/distributed engine: store unavailable: connect ECONNREFUSED 127\.0\.0\.1:9200; attempt 1, trying again in 5 ms/),
      expect.stringMatching(/distributed engine: pulsar admin GET \/admin\/v2\/clusters: 503; attempt 2, trying again in 10 ms/),
    ]);
    expect(lines.at(-1)).toMatch(/INFO .*distributed engine: connected after 3 attempts/);
  });

  it('fails at once on what waiting does not fix: a refusal, a certificate the process does not trust', async () => {
    const { lines, logger } = logged();
    const refused = failing(new Error('pulsar admin GET /admin/v2/clusters: 401 Authentication required'));
    await expect(connectWhenAvailable('engine', refused.connect, { timeoutMs: 0, logger, ...fast })).rejects.toThrow(/401/);
    expect(refused.calls()).toBe(1);

    const tls = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const untrusted = failing(new QueueUnavailableError('pulsar admin GET /admin/v2/namespaces/inflow: fetch failed', 5, { cause: new TypeError('fetch failed', { cause: tls }) }));
    await expect(connectWhenAvailable('engine', untrusted.connect, { timeoutMs: 0, logger, ...fast })).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(untrusted.calls()).toBe(1);
    expect(lines.filter((line) => line.includes('WARN'))).toEqual([]);
  });

  it('gives up after its time with the last outage named', async () => {
    const { logger } = logged();
    const down = new InfrastructureError('cache', 'redis at redis://127.0.0.1:6379: connect ECONNREFUSED');
    const attempts = failing(...Array.from({ length: 1000 }, () => down));
    const error = await connectWhenAvailable('engine', attempts.connect, { timeoutMs: 60, logger, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServicesUnavailableError);
    expect((error as Error).message).toMatch(/engine: still unavailable after \d+ s \(INFLOW_START_TIMEOUT_MS 60\): cache unavailable: redis at redis:\/\/127\.0\.0\.1:6379/);
    expect(attempts.calls()).toBeGreaterThan(2);
  });

  it('stops waiting when the process shuts down', async () => {
    const { logger } = logged();
    const stop = new AbortController();
    const attempts = failing(...Array.from({ length: 1000 }, () => new InfrastructureError('store', 'connect ECONNREFUSED')));
    const waiting = connectWhenAvailable('engine', attempts.connect, { timeoutMs: 0, logger, firstDelayMs: 60_000, maxDelayMs: 60_000, signal: stop.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await expect(waiting).rejects.toThrow(/stopped waiting for engine: the process is shutting down/);
    expect(attempts.calls()).toBe(1);
  });

  it('tells outages from refusals', () => {
    expect(isOutage(new InfrastructureError('queue', 'connection lost'))).toBe(true);
    expect(isOutage(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(isOutage(new InfrastructureError('store', 'self-signed certificate in certificate chain'))).toBe(false);
  });
});
