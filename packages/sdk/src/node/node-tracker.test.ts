import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInflow, type TestInflow } from '../../../app/test/support/start-inflow.js';
import { createNodeTracker } from './index.js';

describe('Node tracker against the running edge', () => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ INFLOW_MAX_BODY_BYTES: '8192' });
  });
  afterAll(() => app.close());

  it('batches, splits a batch the edge finds too large (413), and close() flushes everything', async () => {
    const errors: string[] = [];
    const tracker = createNodeTracker({ endpoint: app.publicUrl, sourceId: 'demo', maxBatchEvents: 100, flushMs: 50, onError: (m) => errors.push(m) });
    for (let i = 0; i < 120; i++) {
      tracker.track({ profileId: `server-${i % 3}`, type: 'order-line', properties: { i, note: 'x'.repeat(100) } });
    }
    expect(await tracker.close()).toEqual({ sent: 120, pending: 0, dropped: 0 });
    for (let p = 0; p < 3; p++) {
      const { events } = await app.eventually<{ events: unknown[] }>(`/profiles/server-${p}/events?limit=100`, (b) => b.events.length === 40);
      expect(events).toHaveLength(40);
    }
    expect(errors).toEqual([]);
  });

  it('returns the processed answer for a call that needs it', async () => {
    const tracker = createNodeTracker({ endpoint: app.publicUrl, sourceId: 'demo' });
    const answer = await tracker.trackProcessed({ profileId: 'server-answer', type: 'invoice-sent' });
    expect(answer?.profile.id).toBe('server-answer');
    expect(answer?.events).toHaveLength(1);
    await tracker.close();
  });

  it('runs the server-side example from examples/node', async () => {
    const script = fileURLToPath(new URL('../../../../examples/node/server-side.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script], { env: { ...process.env, INFLOW_ENDPOINT: app.publicUrl } });
    expect(stdout).toContain('all events sent');
    const { events } = await app.eventually<{ events: Array<{ type: string }> }>('/profiles/customer-42/events', (b) => b.events.length === 2);
    expect(events.map((e) => e.type).sort()).toEqual(['invoice-sent', 'order-completed']);
  });

  it('keeps, and reports as pending, events for a source the edge does not know (a setup error is not a reason to lose them)', async () => {
    const errors: string[] = [];
    const tracker = createNodeTracker({ endpoint: app.publicUrl, sourceId: 'no-such-source', onError: (m) => errors.push(m) });
    tracker.track({ profileId: 'x', type: 'y' });
    expect(await tracker.close({ timeoutMs: 300 })).toEqual({ sent: 0, pending: 1, dropped: 0 });
    expect(errors.join('\n')).toContain('"status":403');
  });
});
