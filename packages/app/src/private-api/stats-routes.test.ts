import { describe, expect, it } from 'vitest';
import type { InstanceSnapshot } from '@inflow/core';
import { Router } from '@inflow/edge';
import { MemoryStatsBoard } from '../../../workers/src/memory/memory-stats-board.js';
import { StatsHistory, withStatsRoutes } from './stats-routes.js';
import { balanceOf, combineGauges, ratesBetween, sumCounters } from './stats-summary.js';

const T = Date.parse('2026-11-29T12:00:00.000Z');
const snapshot = (instance: string, at: number, counters: Record<string, number>, gauges: Record<string, number> = {}): InstanceSnapshot => ({
  instance,
  role: instance.split('@')[0] ?? '',
  at,
  counters,
  gauges,
});

describe('the stats summary', () => {
  it('sums counters, adds up pending gauges and takes the highest latency', () => {
    const a = snapshot('collector@a', T, { 'collector.events.received': 10, 'collector.events.stored': 7 }, { 'collector.events.pending': 2, 'collector.latency.p99_ms': 40 });
    const b = snapshot('collector@b', T, { 'collector.events.received': 5 }, { 'collector.events.pending': 1, 'collector.latency.p99_ms': 90 });
    expect(sumCounters([a, b])).toEqual({ 'collector.events.received': 15, 'collector.events.stored': 7 });
    expect(combineGauges([a, b])).toEqual({ 'collector.events.pending': 3, 'collector.latency.p99_ms': 90 });
  });

  it('balances each stage and each destination: received = outcomes + dead-lettered + retried + pending', () => {
    const counters = {
      'collector.events.received': 20,
      'collector.events.stored': 14,
      'collector.events.deduplicated': 2,
      'collector.events.dead_lettered': 1,
      'collector.events.retried': 1,
      'dispatch.events.received': 5,
      'dispatch.events.delivered': 4,
      'destination.crm.v2.received': 3,
      'destination.crm.v2.delivered': 3,
      'destination.hook.received': 2,
      'destination.hook.delivered': 1,
      'workflow.events.received': 1,
      'workflow.events.done': 1,
    };
    const balance = balanceOf(counters, { 'collector.events.pending': 2, 'destination.hook.pending': 1 });
    expect(balance.collector).toEqual({ received: 20, stored: 14, deduplicated: 2, deadLettered: 1, retried: 1, pending: 2, balanced: true });
    expect(balance.dispatch).toEqual({ received: 5, delivered: 4, deadLettered: 0, retried: 0, pending: 0, balanced: false });
    expect(balance.destinations).toEqual({
      'crm.v2': { received: 3, delivered: 3, deadLettered: 0, retried: 0, pending: 0, balanced: true },
      hook: { received: 2, delivered: 1, deadLettered: 0, retried: 0, pending: 1, balanced: true },
    });
    expect(balance.workflow).toEqual({ received: 1, done: 1, deadLettered: 0, retried: 0, pending: 0, balanced: true });
  });

  it('makes rates instance by instance: a new instance counts all it has, a known one what it added', () => {
    const previous = new Map([['edge@a', { 'edge.requests.accepted': 100 }]]);
    const rates = ratesBetween(previous, [snapshot('edge@a', T, { 'edge.requests.accepted': 150 }), snapshot('edge@b', T, { 'edge.requests.accepted': 10 })], 5);
    expect(rates).toEqual({ 'edge.requests.accepted': 12 });
  });
});

describe('GET /stats', () => {
  it('answers every live instance, the sums, the balance and the series of rates read every interval', async () => {
    let now = T;
    const board = new MemoryStatsBoard(15_000, () => now);
    const history = new StatsHistory({ board, intervalMs: 5_000, windowMs: 15_000, now: () => now });
    const router = withStatsRoutes(new Router(), { board, history, intervalMs: 5_000, now: () => now });
    const get = async (): Promise<Record<string, unknown>> => {
      const reply = await router.handle({ method: 'GET', path: '/stats', query: '', headers: {}, body: Buffer.alloc(0), remoteAddress: '127.0.0.1' });
      expect(reply.status).toBe(200);
      return JSON.parse(String(reply.body)) as Record<string, unknown>;
    };
    const publish = (collected: number, edge: number): Promise<unknown> =>
      Promise.all([
        board.publish(snapshot('collector@a', now, { 'collector.events.received': collected, 'collector.events.stored': collected }, { 'collector.events.pending': 0 })),
        board.publish(snapshot('edge@b', now, { 'edge.requests.accepted': edge }, { 'edge.latency.p99_ms': 12 })),
      ]);
    await publish(10, 4);
    await history.sample(); // the baseline: no rates yet
    for (const step of [1, 2, 3, 4]) {
      now += 5_000;
      await publish(10 + step * 50, 4 + step * 10);
      await history.sample();
    }
    const stats = await get();
    expect(stats).toMatchObject({
      at: new Date(now).toISOString(),
      intervalMs: 5_000,
      instances: [
        { instance: 'collector@a', role: 'collector', at: new Date(now).toISOString() },
        { instance: 'edge@b', role: 'edge', at: new Date(now).toISOString() },
      ],
      counters: { 'collector.events.received': 210, 'collector.events.stored': 210, 'edge.requests.accepted': 44 },
      gauges: { 'collector.events.pending': 0, 'edge.latency.p99_ms': 12 },
      balance: { collector: { received: 210, stored: 210, balanced: true }, destinations: {} },
    });
    // The window is 15 s: the last three readings, each 10 events/s stored and 2 requests/s.
    const series = stats['series'] as Array<{ at: string; rates: Record<string, number> }>;
    expect(series.map((s) => s.at)).toEqual([T + 10_000, T + 15_000, T + 20_000].map((at) => new Date(at).toISOString()));
    expect(series.every((s) => s.rates['collector.events.stored'] === 10 && s.rates['edge.requests.accepted'] === 2)).toBe(true);
  });
});
