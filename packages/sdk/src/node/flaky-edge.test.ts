import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WirePayload } from '../core/wire.js';
import { createNodeTracker, isInvalidEventError } from './index.js';

type Answer = (res: ServerResponse, payload: WirePayload) => void;

/** A small edge that answers each request from a script (the last answer repeats), recording what came and when. */
async function flakyEdge(answers: Answer[]) {
  const received: Array<{ at: number; payload: WirePayload }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const payload = JSON.parse(body) as WirePayload;
      received.push({ at: Date.now(), payload });
      const answer = (answers.length > 1 ? answers.shift() : answers[0]) as Answer;
      answer(res, payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const accept: Answer = (res, payload) => {
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ queued: true, profile: payload.profile, session: payload.session, events: payload.events.map((e) => e.id) }));
};
const busy =
  (retryAfterSeconds: number): Answer =>
  (res) => {
    res.writeHead(503, { 'retry-after': String(retryAfterSeconds), 'content-type': 'application/json' });
    res.end('{"error":{"code":"queue_unavailable","message":"busy"}}');
  };
const hangUp: Answer = (res) => res.socket?.destroy();
const stall: Answer = () => undefined; // never answers: the per-request timeout must cut it

const eventIds = (edge: { received: Array<{ payload: WirePayload }> }): string[] => edge.received.flatMap((r) => r.payload.events.map((e) => e.id));

describe('Node tracker against a flaky edge', () => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('close() sends everything through hang-ups, a stalled request and 503s, waiting out each Retry-After', async () => {
    const edge = await flakyEdge([hangUp, stall, busy(1), busy(1), accept]);
    closing.push(edge.close);
    const drops: unknown[] = [];
    const tracker = createNodeTracker({ endpoint: edge.url, sourceId: 'demo', flushMs: 10, timeoutMs: 300, onDrop: (events) => drops.push(...events) });
    for (let i = 0; i < 25; i++) tracker.track({ profileId: `p-${i % 2}`, type: 'order-line', properties: { i } });
    const result = await tracker.close({ timeoutMs: 20_000 });
    expect(result).toEqual({ sent: 25, pending: 0, dropped: 0 });
    expect(drops).toEqual([]);
    const after503 = edge.received.slice(2).map((r) => r.at);
    expect(after503[1]! - after503[0]!).toBeGreaterThanOrEqual(1000);
    expect(after503[2]! - after503[1]!).toBeGreaterThanOrEqual(1000);
    // Every event reached the edge in an accepted request; retries carried the same ids.
    const accepted = new Set(edge.received.slice(4).flatMap((r) => r.payload.events.map((e) => e.id)));
    expect(accepted.size).toBe(25);
    expect(new Set(eventIds(edge)).size).toBe(25);
  }, 30_000);

  it('close() stops at its deadline and reports what is still pending, without dropping it', async () => {
    const edge = await flakyEdge([busy(3600)]);
    closing.push(edge.close);
    const tracker = createNodeTracker({ endpoint: edge.url, sourceId: 'demo', flushMs: 10 });
    for (let i = 0; i < 3; i++) tracker.track({ profileId: 'p', type: 'e' });
    expect(await tracker.close({ timeoutMs: 400 })).toEqual({ sent: 0, pending: 3, dropped: 0 });
    expect(edge.received).toHaveLength(1); // Retry-After: an hour; no second try inside the deadline
    expect(() => tracker.track({ profileId: 'p', type: 'late' })).toThrow(/closed/);
  });

  it('flush() is what a serverless handler waits for, and reports events the edge rejected', async () => {
    const edge = await flakyEdge([
      (res, payload) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ queued: true, profile: payload.profile, session: payload.session, events: [], rejected: [{ index: 1, code: 'invalid_payload', message: 'no' }] }));
      },
    ]);
    closing.push(edge.close);
    const dropped: string[] = [];
    const tracker = createNodeTracker({ endpoint: edge.url, sourceId: 'demo', flushMs: 60_000, onDrop: (events, reason) => dropped.push(...events.map((e) => `${e.type}:${reason}`)) });
    const waitUntil = (work: Promise<unknown>) => work;
    tracker.track({ profileId: 'p', type: 'first' });
    tracker.track({ profileId: 'p', type: 'second' });
    tracker.track({ profileId: 'p', type: 'third' });
    expect(await waitUntil(tracker.flush())).toEqual({ sent: 2, pending: 0, dropped: 1 });
    expect(dropped).toEqual(['second:rejected']);
  });

  it('refuses an invalid event at track() with an InvalidEventError and keeps working', async () => {
    const edge = await flakyEdge([accept]);
    closing.push(edge.close);
    const tracker = createNodeTracker({ endpoint: edge.url, sourceId: 'demo' });
    let error: unknown;
    try {
      tracker.track({ profileId: 'p', type: 'bad', properties: { amount: 10n } });
    } catch (thrown) {
      error = thrown;
    }
    expect(isInvalidEventError(error) && error.code).toBe('unserializable');
    expect(() => tracker.track({ profileId: 'p'.repeat(129), type: 'x' })).toThrow(/invalid_id at profileId/);
    tracker.track({ profileId: 'p', type: 'good' });
    expect(await tracker.close()).toEqual({ sent: 1, pending: 0, dropped: 0 });
    expect(edge.received.flatMap((r) => r.payload.events.map((e) => e.type))).toEqual(['good']);
  });
});
