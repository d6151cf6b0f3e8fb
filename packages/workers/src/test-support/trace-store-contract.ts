import { expect, it } from 'vitest';
import type { TraceEntry, TraceStore } from '@inflow/core';

export interface TraceLimits {
  ttlSeconds: number;
  /** Newest entries a profile keeps. */
  profileEntries: number;
  /** The store's clock (entries are timed by their `at`). */
  now: () => number;
}

/** What every TraceStore adapter must do; each adapter's test file runs it on a fresh store per call. */
export function traceStoreContract(store: (limits: TraceLimits) => Promise<TraceStore>): void {
  const T = 1_700_000_000_000;
  const clock = (start = T): { now: () => number; advance(ms: number): void } => {
    let now = start;
    return { now: () => now, advance: (ms) => void (now += ms) };
  };

  it('finds each entry under its request, its profile and each of its events, oldest first', async () => {
    const time = clock();
    const s = await store({ ttlSeconds: 3_600, profileEntries: 50, now: time.now });
    const edge: TraceEntry = { at: T + 1, stage: 'edge', role: 'edge', requestId: 'r1', profileId: 'p1', eventIds: ['e1', 'e2'], detail: { status: 201 } };
    const queued: TraceEntry = { at: T + 3, stage: 'queued', role: 'edge', requestId: 'r1', detail: { topic: 'collector/payloads', lane: 3 } };
    const stored: TraceEntry = { at: T + 2, stage: 'stored', role: 'collector', requestId: 'r1', profileId: 'p1', eventIds: ['e1', 'e2', 'e1'] };
    const delivered: TraceEntry = { at: T + 9, stage: 'delivered', role: 'dispatch', profileId: 'p1', eventIds: ['e2'], detail: { destination: 'crm', status: 200 } };
    // Appended out of time order, in two calls (as two processes would).
    await s.append([edge, queued]);
    await s.append([delivered, stored]);

    expect(await s.byRequest('r1')).toEqual([edge, stored, queued]);
    expect(await s.byProfile('p1', 50)).toEqual([edge, stored, delivered]);
    // Under an event, an entry names that event only: the request's other events are in its request's trace.
    expect(await s.byEvent('e1')).toEqual([
      { ...edge, eventIds: ['e1'] },
      { ...stored, eventIds: ['e1'] },
    ]);
    expect(await s.byEvent('e2')).toEqual([{ ...edge, eventIds: ['e2'] }, { ...stored, eventIds: ['e2'] }, delivered]);
    expect(await s.byEvent('nobody')).toEqual([]);
    expect(await s.byRequest('nobody')).toEqual([]);
    expect(await s.byProfile('nobody', 50)).toEqual([]);
    await s.append([]);
  });

  it('answers a profile\'s newest entries, at most `limit` and never more than it keeps', async () => {
    const time = clock();
    const s = await store({ ttlSeconds: 3_600, profileEntries: 10, now: time.now });
    const entries = Array.from({ length: 25 }, (_, i): TraceEntry => ({ at: T + i, stage: 'stored', role: 'collector', profileId: 'busy', eventIds: [`b${i}`] }));
    for (let i = 0; i < entries.length; i += 5) await s.append(entries.slice(i, i + 5));
    expect((await s.byProfile('busy', 3)).map((entry) => entry.at - T)).toEqual([22, 23, 24]);
    expect((await s.byProfile('busy', 1000)).map((entry) => entry.at - T)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    // The cap is per profile: each event keeps its own entry.
    expect(await s.byEvent('b0')).toEqual([entries[0]]);
  });

  it('forgets entries older than the time to live', async () => {
    const time = clock();
    const s = await store({ ttlSeconds: 60, profileEntries: 50, now: time.now });
    await s.append([{ at: T, stage: 'edge', role: 'edge', requestId: 'old', profileId: 'pt', eventIds: ['et'] }]);
    time.advance(30_000);
    const later: TraceEntry = { at: T + 30_000, stage: 'stored', role: 'collector', requestId: 'old', profileId: 'pt', eventIds: ['et'] };
    await s.append([later]);
    expect(await s.byEvent('et')).toHaveLength(2);
    time.advance(30_001);
    expect(await s.byEvent('et')).toEqual([later]);
    expect(await s.byRequest('old')).toEqual([later]);
    expect(await s.byProfile('pt', 50)).toEqual([later]);
    // An entry that arrives with a time already past the time to live is not answered either.
    await s.append([{ at: T, stage: 'rule', role: 'workflow', eventIds: ['et'] }]);
    expect(await s.byEvent('et')).toEqual([later]);
    time.advance(30_000);
    expect(await s.byEvent('et')).toEqual([]);
  });

  it('reads back entries that share a frozen detail, alternating with others, as they were given', async () => {
    const s = await store({ ttlSeconds: 3_600, profileEntries: 50, now: () => T + 10 });
    const shared = Object.freeze({ rules: Object.freeze([Object.freeze({ rule: 'r', actions: [] })]) });
    const other = Object.freeze({ rules: [] });
    const given: TraceEntry[] = [
      { at: T + 1, stage: 'rule', role: 'workflow', profileId: 'pf', eventIds: ['fa'], detail: shared },
      { at: T + 2, stage: 'rule', role: 'workflow', profileId: 'pf', eventIds: ['fb'], detail: shared },
      { at: T + 3, stage: 'rule', role: 'workflow', profileId: 'pf', eventIds: ['fc'], detail: other },
      { at: T + 4, stage: 'rule', role: 'workflow', profileId: 'pf', eventIds: ['fd'], detail: shared },
      { at: T + 5, stage: 'stored', role: 'collector', profileId: 'pf', eventIds: ['fe'], detail: { session: 's' } },
    ];
    await s.append(given);
    expect(await s.byProfile('pf', 10)).toEqual(given);
  });
}
