import { afterEach, describe, expect, it } from 'vitest';
import { eventTimeMs } from './track-rules.js';

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

  it('takes epoch milliseconds and Tracardi\'s {create}', () => {
    expect(iso(1_704_067_200_000)).toBe('2024-01-01T00:00:00.000Z');
    expect(iso({ create: '2024-01-01T00:00:00Z' })).toBe('2024-01-01T00:00:00.000Z');
  });
});
