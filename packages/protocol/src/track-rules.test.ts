import { afterEach, describe, expect, it } from 'vitest';
import { clientTimeMs, EPOCH_SECONDS_BELOW, eventTimeMs, MAX_EVENT_TIME, sentAtMs } from './track-rules.js';

const iso = (value: unknown): string | undefined => {
  const ms = eventTimeMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
};

describe('event times', () => {
  const zone = process.env['TZ'];
  afterEach(() => {
    if (zone === undefined) delete process.env['TZ'];
    else process.env['TZ'] = zone;
  });

  it('reads a time of day without a zone as UTC, whatever the server runs in', () => {
    // Node applies TZ as soon as it is set: Date.parse would give 15:00Z here.
    process.env['TZ'] = 'America/New_York';
    expect(iso('2024-01-01T10:00:00')).toBe('2024-01-01T10:00:00.000Z');
    expect(iso('2024-01-01 10:00')).toBe('2024-01-01T10:00:00.000Z');
    expect(iso('2024-01-01T10:00:00+01')).toBe('2024-01-01T09:00:00.000Z');
    expect(iso('2024-01-01T10:00:00,5-05:30')).toBe('2024-01-01T15:30:00.500Z');
    expect(iso('Mon, 01 Jan 2024 00:00:00 GMT')).toBe('2024-01-01T00:00:00.000Z');
    // UT is UTC; other zone names are refused: CST is US Central in RFC 822, China's in Java's Date.toString().
    expect(iso('Mon, 01 Jan 2024 00:00:00 UT')).toBe('2024-01-01T00:00:00.000Z');
    expect(iso('Mon Jan 01 10:00:00 CST 2024')).toBeUndefined();
    expect(iso('Mon, 01 Jan 2024 00:00:00 EST')).toBeUndefined();
    expect(iso('Mon, 01 Jan 2024 00:00:00 CET')).toBeUndefined();
    // A zone's name after UTC's or an offset: Date.parse would take the name (EST) over either.
    expect(iso('Mon, 01 Jan 2024 10:00:00 GMT EST')).toBeUndefined();
    expect(iso('Mon Jan 1 10:00:00 UTC EST 2024')).toBeUndefined();
    expect(iso('Mon, 01 Jan 2024 10:00:00 GMT+0100 EST')).toBe('2024-01-01T09:00:00.000Z');
    expect(iso('Mon, 01 Jan 2024 10:00:00 +0100 CET')).toBe('2024-01-01T09:00:00.000Z');
    // Unix date(1) puts the year after the zone; the half of the day may follow the time.
    expect(iso('Mon Jan 1 10:00:00 UTC 2024')).toBe('2024-01-01T10:00:00.000Z');
    expect(iso('Mon, 01 Jan 2024 10:00:00 PM GMT')).toBe('2024-01-01T22:00:00.000Z');
    // The zone comes after the time of day: one before it would leave Date.parse the server's zone.
    expect(iso('GMT Mon, 01 Jan 2024 10:00:00')).toBeUndefined();
    expect(iso('Z Mon, 01 Jan 2024 10:00:00')).toBeUndefined();
    // A named date without a zone would be the server's: refused (a bracketed comment names none).
    expect(iso('Jan 5, 2024 10:00')).toBeUndefined();
    expect(iso('Mon Jan 01 2024 10:00:00 (UTC)')).toBeUndefined();
    expect(iso('Mon Jan 01 2024 10:00:00 GMT+0100 (Central European Standard Time)')).toBe('2024-01-01T09:00:00.000Z');
    // Rails' and Ruby's UTC times, Go's time.String(): a zone's name after the time.
    expect(iso('2024-01-01 10:00:00 UTC')).toBe('2024-01-01T10:00:00.000Z');
    expect(iso('2024-01-01 10:00:00.123456789 +0100 CET')).toBe('2024-01-01T09:00:00.123Z');
    expect(iso('2024-01-01 10:00:00 CET')).toBeUndefined();
    expect(iso('2024-01-01t10:00:00z')).toBe('2024-01-01T10:00:00.000Z');
  });

  it('refuses dates that do not exist, and text that only holds a year', () => {
    expect(iso('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('2024-02-30')).toBeUndefined();
    expect(iso('1900-02-29T00:00:00Z')).toBeUndefined();
    expect(iso('2000-02-29T00:00:00Z')).toBe('2000-02-29T00:00:00.000Z');
    expect(iso('2024-04-31')).toBeUndefined();
    expect(iso('2024-01-01T24:30:00Z')).toBeUndefined();
    expect(iso('hello 2024')).toBeUndefined();
    expect(iso('2024')).toBe('2024-01-01T00:00:00.000Z');
    expect(iso('2024-13')).toBeUndefined();
  });

  it('reads the toISOString shape, checked character by character, as the general reader does', () => {
    // The general reader takes a space for the T: each time is read both ways and must agree.
    const general = (text: string): number | undefined => eventTimeMs(text.replace('T', ' '));
    const days = ['01', '28', '29', '30', '31', '32', '00', '3x'];
    const months = ['01', '02', '04', '12', '13', '00'];
    const clocks = ['00:00:00', '23:59:59', '24:00:00', '24:30:00', '23:60:00', '12:00:60', '1:00:000'];
    let compared = 0;
    for (const year of ['2024', '2023', '1900', '2000', '0099', '0000', '9999', '20x4'])
      for (const month of months)
        for (const day of days)
          for (const clock of clocks)
            for (const fraction of ['', '.000', '.001', '.999', '.5']) {
              const text = `${year}-${month}-${day}T${clock}${fraction}Z`;
              expect(eventTimeMs(text), text).toBe(general(text));
              compared += 1;
            }
    expect(compared).toBe(8 * 6 * 8 * 7 * 5);
    expect(iso('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(iso('2023-02-29T00:00:00.000Z')).toBeUndefined();
    expect(iso('2024-04-31T00:00:00Z')).toBeUndefined();
  });

  it('takes epoch milliseconds and Tracardi\'s {create}', () => {
    expect(iso(1_704_067_200_000)).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(-1_000_000_000_000)).toBe('1938-04-24T22:13:20.000Z');
  });

  it('takes epoch seconds (Python\'s time.time(), `date +%s`) rather than store them in January 1970', () => {
    expect(iso(1_704_067_200)).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(1_704_067_200.25)).toBe('2024-01-01T00:00:00.250Z');
    expect(iso({ create: 1_704_067_200 })).toBe('2024-01-01T00:00:00.000Z');
    expect(iso(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(iso(-86_400)).toBe('1969-12-31T00:00:00.000Z');
    // The boundary: 10^11 and above is milliseconds (1973-03-03), just below it seconds (the year 5138).
    expect(iso(EPOCH_SECONDS_BELOW)).toBe('1973-03-03T09:46:40.000Z');
    expect(iso(EPOCH_SECONDS_BELOW - 1)).toBe('5138-11-16T09:46:39.000Z');
    // Negative ones the same way: -10^11 is milliseconds (1966), just above it seconds, before the year 0000 (refused).
    expect(iso(-EPOCH_SECONDS_BELOW)).toBe('1966-10-31T14:13:20.000Z');
    expect(iso(-(EPOCH_SECONDS_BELOW - 1))).toBeUndefined();
    expect(sentAtMs(1_704_067_200)).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(iso({ create: '2024-01-01T00:00:00Z' })).toBe('2024-01-01T00:00:00.000Z');
  });

  it('corrects a client\'s time by how far its clock is off when it says when it sent (sentAt)', () => {
    const received = Date.parse('2026-11-23T10:00:00Z');
    expect(clientTimeMs('2026-11-23T08:59:50Z', '2026-11-23T09:00:00Z', received)).toBe(Date.parse('2026-11-23T09:59:50Z'));
    expect(clientTimeMs({ create: '2026-11-23T08:59:50Z' }, received - 60_000, received)).toBe(Date.parse('2026-11-23T09:00:50Z'));
    // No sentAt: as it is; no time of its own (or an unreadable one): none.
    expect(clientTimeMs('2026-11-23T08:59:50Z', undefined, received)).toBe(Date.parse('2026-11-23T08:59:50Z'));
    expect(clientTimeMs(undefined, '2026-11-23T09:00:00Z', received)).toBeUndefined();
    expect(clientTimeMs('yesterday', '2026-11-23T09:00:00Z', received)).toBeUndefined();
    // A correction past the years storage indexes keeps the client's time.
    expect(clientTimeMs(MAX_EVENT_TIME - 1000, received - 3_600_000, received)).toBe(MAX_EVENT_TIME - 1000);
    // sentAt is a string or a number, not Tracardi's { create }.
    expect(sentAtMs({ create: '2026-11-23T09:00:00Z' })).toBeUndefined();
    expect(sentAtMs('2026-11-23T09:00:00Z')).toBe(Date.parse('2026-11-23T09:00:00Z'));
  });
});
