import { describe, expect, it } from 'vitest';
import type { EventRecord } from '@inflow/core';
import { PROFILE_WRITES_KEPT, sessionHadWrite, withProfileWrites } from './profile-writes.js';

const event = (profileId: string, sessionId = 's'): EventRecord => ({
  id: 'e',
  type: 'x',
  time: '2026-12-02T00:00:00.000Z',
  receivedAt: '2026-12-02T00:00:00.000Z',
  sourceId: 'src',
  profileId,
  sessionId,
  requestId: 'r',
  properties: {},
  context: {},
  async: false,
});

describe('profile writes a session records', () => {
  it('keeps profiles in the order last seen, numeric ids too, and forgets the one seen longest ago', () => {
    let record = withProfileWrites(undefined, true, new Set(['2', '10', '1']), new Map());
    record = withProfileWrites(record, false, new Set(['10']), new Map([['10', 4]]));
    expect(record).toEqual({ last: [['2', 1], ['1', 1], ['10', 5]], complete: true });
    // What JSON makes of it keeps the order (an object with numeric keys would not).
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
    for (let i = 0; i < PROFILE_WRITES_KEPT; i++) record = withProfileWrites(record, false, new Set([`p${i}`]), new Map());
    expect(record.last).toHaveLength(PROFILE_WRITES_KEPT);
    expect(record.last[0]).toEqual(['p0', 1]);
    expect(record.complete).toBe(false);
  });

  it('never moves a profile back to an older write (a round on an old copy of the profile)', () => {
    const record = withProfileWrites({ last: [['p', 9]], complete: true }, false, new Set(['p']), new Map([['p', 6]]));
    expect(record.last).toEqual([['p', 9]]);
  });

  it('tells whether the session had the stamped write, and says nothing where its record may miss the profile', () => {
    const sessions = new Map([
      ['complete', { last: [['p', 3] as [string, number]], complete: true }],
      ['partial', { last: [['q', 3] as [string, number]], complete: false }],
      ['old', undefined],
    ]);
    expect(sessionHadWrite(sessions, event('p', 'complete'), 3)).toBe(true);
    expect(sessionHadWrite(sessions, event('p', 'complete'), 4)).toBe(false);
    expect(sessionHadWrite(sessions, event('other', 'complete'), 1)).toBe(false);
    expect(sessionHadWrite(sessions, event('other', 'partial'), 1)).toBeUndefined();
    expect(sessionHadWrite(sessions, event('p', 'old'), 1)).toBeUndefined();
    expect(sessionHadWrite(sessions, event('p', 'new'), 1)).toBe(false);
  });

  it('begins incomplete on a session written before sessions kept a record', () => {
    expect(withProfileWrites(undefined, false, new Set(['q']), new Map())).toEqual({ last: [['q', 1]], complete: false });
    expect(withProfileWrites(undefined, true, new Set(['__proto__']), new Map())).toEqual({ last: [['__proto__', 1]], complete: true });
  });
});
