/**
 * The rules of the /track contract's fields, stated once: the superstruct schemas
 * (track-schema.ts) and the compiled check the edge runs (check-track-payload.ts) both use them.
 */

/** Longest id (source, profile, session, event) the edge accepts. */
export const MAX_ID_LENGTH = 128;
/** Longest event type name. */
export const MAX_EVENT_TYPE_LENGTH = 128;

/** Earliest and latest event time storage can index: years 0000 to 9999 (Elasticsearch refuses other years). */
export const MIN_EVENT_TIME = Date.parse('0000-01-01T00:00:00.000Z');
export const MAX_EVENT_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Control characters and unpaired UTF-16 surrogates (in unicode mode a pair is one code point,
 * so only a lone half matches). Ids and types become storage keys and URL paths, where a lone
 * surrogate turns into U+FFFD: two different ids would collide, and URL encoding throws.
 */
const UNSAFE_NAME = /[\p{Cc}\p{Cs}]/u;

export const UNSAFE_NAME_PROBLEM = 'must not contain control characters or unpaired UTF-16 surrogates';

/**
 * A value of the wrong kind, for a message: its kind, and the start of its JSON (`an array
 * ([1,2])`, `an object ({"type":"a"})`, `a number (5)`, `null`): the value itself, never
 * JavaScript's rendering of it (an empty string for `[]`, `[object Object]`). Only as much of
 * the value is read as is shown: a refused megabyte costs no megabyte of text.
 */
export function receivedText(value: unknown): string {
  if (value === null) return 'null';
  const kind = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value === 'string' ? 'a string' : `a ${typeof value}`;
  const shown = jsonStart(value, RECEIVED_SHOWN);
  return shown === undefined ? kind : `${kind} (${shown})`;
}

/** The most characters of a wrong value's JSON a message shows. */
const RECEIVED_SHOWN = 60;

/** The first `room` characters of the value's JSON (cut with '…'), read no further; undefined for what JSON has no text for. */
function jsonStart(value: unknown, room: number): string | undefined {
  let text = '';
  // Each step adds to `text`; false once it is long enough, which stops the walk.
  const add = (part: string): boolean => (text += part).length <= room;
  const walk = (item: unknown): boolean => {
    if (item === null || typeof item === 'boolean' || typeof item === 'number') return add(String(item));
    if (typeof item === 'string') return add(JSON.stringify(item.length > room ? item.slice(0, room) : item));
    if (Array.isArray(item)) {
      if (!add('[')) return false;
      for (let i = 0; i < item.length; i++) if ((i > 0 && !add(',')) || !walk(item[i])) return false;
      return add(']');
    }
    if (typeof item === 'object') {
      if (!add('{')) return false;
      let first = true;
      for (const key of Object.keys(item)) {
        if ((!first && !add(',')) || !add(`${JSON.stringify(key.length > room ? key.slice(0, room) : key)}:`) || !walk((item as Record<string, unknown>)[key])) return false;
        first = false;
      }
      return add('}');
    }
    return add(typeof item === 'bigint' ? `${item}n` : typeof item);
  };
  if (typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (walk(value)) return text;
  // Cut short, without leaving half of a surrogate pair.
  let end = room - 1;
  if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** A present value of the wrong kind (`expected`: 'an object', 'a string'…). */
export function wrongKindProblem(expected: string, value: unknown): string {
  return `must be ${expected}, received ${receivedText(value)}`;
}

export function isSafeName(text: string): boolean {
  return !UNSAFE_NAME.test(text);
}

export const EVENT_TIME_PROBLEM = 'expected an ISO-8601 date string or epoch milliseconds or seconds (or {"create": one of those}), in the years 0000 to 9999';

export const SENT_AT_PROBLEM = 'expected an ISO-8601 date string or epoch milliseconds or seconds, in the years 0000 to 9999';

/**
 * An epoch number smaller than this (either sign) is seconds, not milliseconds: Python's
 * `time.time()`, Unix `date +%s` and Mixpanel-style clients send seconds, which read as
 * milliseconds would be stored in January 1970. 10^11 milliseconds is 1973-03-03, 10^11 seconds
 * the year 5138: a time in milliseconds before March 1973 has to be sent as a string.
 */
export const EPOCH_SECONDS_BELOW = 1e11;

/** A request's `sentAt`: a time as an event's is read (eventTimeMs), not in Tracardi's `{ create }`. */
export function sentAtMs(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? eventTimeMs(value) : undefined;
}

/**
 * An event's own time corrected for the client's clock, as Segment corrects it: the client's time
 * of the event plus how far the client's clock is behind the server's (`receivedAt − sentAt`, read
 * as the request left and as it arrived), so that a device set an hour wrong stores its events at
 * the hour they happened. Without `sentAt` the client's time is taken as it is; undefined when the
 * event has no time of its own (or an unreadable one). A correction that would leave the years
 * storage can index keeps the uncorrected time.
 */
export function clientTimeMs(time: unknown, sentAt: unknown, receivedAt: number): number | undefined {
  const client = time === undefined ? undefined : eventTimeMs(time);
  return client === undefined ? undefined : correctedTimeMs(client, sentAt === undefined ? undefined : sentAtMs(sentAt), receivedAt);
}

/** clientTimeMs's correction of a time already read, by a sentAt already read (once for a request's events). */
export function correctedTimeMs(client: number, sent: number | undefined, receivedAt: number): number {
  if (sent === undefined) return client;
  const corrected = client + (receivedAt - sent);
  return corrected >= MIN_EVENT_TIME && corrected <= MAX_EVENT_TIME ? corrected : client;
}

/**
 * An ISO-8601 string or epoch milliseconds (seconds below EPOCH_SECONDS_BELOW) that Date can
 * read, between MIN_EVENT_TIME and MAX_EVENT_TIME; or Tracardi's `{ create: <one of those> }` (other keys of it are ignored).
 */
export function isEventTime(value: unknown): boolean {
  return eventTimeMs(value) !== undefined;
}

/**
 * A string time names its year in full: an ISO-8601 date first (an expanded year too), or four
 * digits standing alone (the RFC 1123 dates some clients send), not part of a time-zone offset.
 * Date.parse alone also reads "0" as the year 2000 and "1 GMT+0100" as 2000-12-31, and a
 * client's mistake would be stored as a time.
 */
const FULL_YEAR = /^\s*[+-]?\d{4,6}-\d\d|(?<![+\-\d:])\d{4}(?![\d:])/;

/**
 * An ISO-8601 date, with a time of day or not: its parts, the zone's offset if named, and a zone's
 * name after it (Rails' and Ruby's "2024-01-01 10:00:00 UTC", Go's "… +0000 UTC").
 */
const ISO_DATE = /^\s*([+-]?\d{4,6})-(\d\d)-(\d\d)(?:([T ])(\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)\s*(Z|[+-]\d\d(?::?\d\d)?)?(?:\s+([a-z]{2,5}))?)?\s*$/i;

/**
 * Other dates are read only in the shapes clients send (RFC 1123 "Mon, 01 Jan 2024 00:00:00 GMT",
 * JavaScript's Date.toString()): a month's name, a time of day and a zone, so that "hello 2024"
 * is refused and nothing is read in the server's own time zone. The zone, after the time of day,
 * is an offset, GMT, UTC, UT or Z: other names are refused, as many name more than one zone (CST
 * is US Central in RFC 822 and China's in Java's Date.toString()).
 */
const NAMED_MONTH = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/i;
const TIME_OF_DAY = /\b\d\d?:\d\d\b/;
const ZONE = /\b(GMT|UTC?|Z)\b|[+-]\d\d:?\d\d\b/;
const OFFSET = /[+-]\d\d:?\d\d\b/;
/** Words that may follow the time of day besides an offset: UTC's names and the half of the day. */
const UTC_OR_HALF_DAY = /^(gmt|utc?|z|am|pm)$/i;

/** Longest time string read: JavaScript's Date.toString() with a long zone name is about 70. */
const MAX_TIME_LENGTH = 100;

/** The event time in epoch milliseconds, or undefined when it is not one isEventTime accepts. */
export function eventTimeMs(value: unknown): number | undefined {
  const at = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { create?: unknown }).create : value;
  const ms = typeof at === 'number' ? (Math.abs(at) < EPOCH_SECONDS_BELOW ? at * 1000 : at) : typeof at === 'string' ? (isoUtc(at) ?? (at.length <= MAX_TIME_LENGTH && FULL_YEAR.test(at) ? parseTime(at) : NaN)) : NaN;
  return Number.isFinite(ms) && ms >= MIN_EVENT_TIME && ms <= MAX_EVENT_TIME ? ms : undefined;
}

/**
 * The shape nearly every client sends (JavaScript's toISOString, with or without milliseconds):
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, read from its characters, without the regular expressions' and
 * parseTime's strings (the edge checks every event's time on the request thread). Undefined for
 * any other shape, which parseTime reads; what is read here is what parseTime reads.
 */
function isoUtc(text: string): number | undefined {
  const length = text.length;
  if (length !== 24 && length !== 20) return undefined;
  if (text.charCodeAt(length - 1) !== 90 /* Z */ || text.charCodeAt(10) !== 84 /* T */ || (length === 24 && text.charCodeAt(19) !== 46) /* . */) return undefined;
  for (let at = 0; at < length - 1; at++) {
    const code = text.charCodeAt(at);
    const separator = at === 4 || at === 7 ? 45 /* - */ : at === 13 || at === 16 ? 58 /* : */ : at === 10 || at === 19 ? code : 0;
    if (separator !== 0 ? code !== separator : code < 48 || code > 57) return undefined;
  }
  const number = (from: number, digits: number): number => {
    let value = 0;
    for (let at = from; at < from + digits; at++) value = value * 10 + text.charCodeAt(at) - 48;
    return value;
  };
  const year = number(0, 4);
  const month = number(5, 2);
  const day = number(8, 2);
  const hour = number(11, 2);
  if (!dateExists(year, month, day)) return NaN;
  // Date.UTC reads years below 100 as 19xx, and 24:00 is the next day's start only with nothing after it: Date.parse decides those.
  if (year < 100 || hour > 23) return Date.parse(text);
  const minute = number(14, 2);
  const second = number(17, 2);
  return minute > 59 || second > 59 ? NaN : Date.UTC(year, month - 1, day, hour, minute, second, length === 24 ? number(20, 3) : 0);
}

/**
 * An ISO-8601 time whose date exists (2024-02-31 is refused, where Date.parse makes it March 2nd),
 * read as UTC when it names no zone (Date.parse would take the server's zone for a date with a
 * time of day); another shape only as NAMED_MONTH says.
 */
function parseTime(text: string): number {
  const iso = ISO_DATE.exec(text);
  if (iso) {
    const [, year = '', month = '', day = '', , clock, offset, name] = iso;
    if (!dateExists(Number(year), Number(month), Number(day))) return NaN;
    if (clock === undefined) return Date.parse(`${year}-${month}-${day}`);
    // A name alone says the zone only when it is UTC's; after an offset, the offset says it.
    if (offset === undefined && name !== undefined && !/^(utc|gmt|z)$/i.test(name)) return NaN;
    const zone = offset ?? 'Z';
    // In the one form Date.parse reads the same everywhere: T, a decimal point, a zone with minutes.
    return Date.parse(`${year}-${month}-${day}T${clock.replace(',', '.')}${/^[+-]\d\d$/.test(zone) ? `${zone}:00` : zone.toUpperCase()}`);
  }
  // The reduced forms: a year, a year and month (UTC, as Date.parse reads them).
  const reduced = /^\s*([+-]?\d{4,6})(?:-(\d\d))?\s*$/.exec(text);
  if (reduced) return reduced[2] === undefined || dateExists(2000, Number(reduced[2]), 1) ? Date.parse(text.trim()) : NaN;
  if (/^\s*[+-]?\d{4,6}-/.test(text)) return NaN;
  // Date.parse ignores what is in brackets (Date.toString()'s "(Central European Standard Time)"): so does the zone's test.
  const named = text.replace(/\([^)]*\)/g, ' ');
  // The zone after the time of day: Date.parse reads "GMT Mon, 01 Jan 2024 10:00:00" in the server's zone.
  const clock = TIME_OF_DAY.exec(named);
  if (!clock || !NAMED_MONTH.test(named)) return NaN;
  const end = clock.index + clock[0].length;
  const rest = named.slice(end);
  if (!ZONE.test(rest)) return NaN;
  // Another zone's name after it: Date.parse would take the last one named, over an offset too
  // ("GMT+0100 EST" and "GMT EST" are read as EST). Beside an offset the offset says the zone, as
  // in ISO dates; without one (only UTC's names), the name decides it and is refused as above.
  if (!(rest.match(/[a-z]+/gi) ?? []).some((word) => !UTC_OR_HALF_DAY.test(word))) return Date.parse(named);
  return OFFSET.test(rest) ? Date.parse(named.slice(0, end) + rest.replace(/[a-z]+/gi, (word) => (UTC_OR_HALF_DAY.test(word) ? word : ' '))) : NaN;
}

function dateExists(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

/** What a length check of an id or a type says (the same words for both limits). */
export const nameLengthProblem = (maxLength: number): string => `must be a non-empty string of at most ${maxLength} characters`;
