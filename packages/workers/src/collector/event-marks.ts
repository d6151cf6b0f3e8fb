/**
 * What a profile or a session remembers of the events it counted, to recognise one it has
 * already counted (a redelivered batch, a client's retry): a short mark per event id.
 *
 * Stored compactly in `recentEventIds`: the marks, oldest first, packed into ONE string of
 * fixed-width marks (8 characters, 48 bits of hash), so a profile remembering 256 events
 * carries one 2 KB string instead of 256 small ones, cheaper to parse, write and index. Records
 * written before this format hold single marks of the older kind (they contain a '.'): those
 * are still recognised, and age out first.
 */

/** Characters of one packed mark. */
export const MARK_CHARS = 8;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A mark of an event id: 48 bits of two 32-bit FNV-1a style hashes, in 8 base64url characters. */
export function eventMark(id: string): string {
  const [a, b] = hashes(id);
  let value = a * 0x10000 + (b & 0xffff);
  let mark = '';
  for (let i = 0; i < MARK_CHARS; i++) {
    mark = ALPHABET.charAt(value % 64) + mark;
    value = Math.floor(value / 64);
  }
  return mark;
}

/** The mark records written before the packed format kept (two hashes in base 36). */
export function legacyEventMark(id: string): string {
  const [a, b] = hashes(id);
  return a.toString(36) + '.' + b.toString(36);
}

/** The marks of the events in `ids` that `remembered` does not hold yet, each once, in order. */
export function unseenEvents(ids: readonly string[], remembered: readonly string[] | undefined): string[] {
  const memory = read(remembered);
  const legacy = memory.legacy.length > 0 ? new Set(memory.legacy) : undefined;
  const fresh: string[] = [];
  let added = '';
  for (const id of ids) {
    const mark = eventMark(id);
    if (holds(memory.packed, mark) || holds(added, mark) || legacy?.has(legacyEventMark(id))) continue;
    fresh.push(mark);
    added += mark;
  }
  return fresh;
}

/** `remembered` with the `fresh` marks added, keeping the newest `kept` (older-format marks go first). */
export function remember(remembered: readonly string[] | undefined, fresh: readonly string[], kept: number): string[] {
  const memory = read(remembered);
  let legacy = memory.legacy;
  let packed = memory.packed + fresh.join('');
  const over = legacy.length + packed.length / MARK_CHARS - kept;
  if (over > 0) {
    const fromLegacy = Math.min(over, legacy.length);
    legacy = legacy.slice(fromLegacy);
    packed = packed.slice((over - fromLegacy) * MARK_CHARS);
  }
  return packed.length > 0 ? [...legacy, packed] : [...legacy];
}

/** How many events `remembered` holds marks of. */
export function rememberedCount(remembered: readonly string[] | undefined): number {
  const memory = read(remembered);
  return memory.legacy.length + memory.packed.length / MARK_CHARS;
}

function read(remembered: readonly string[] | undefined): { legacy: readonly string[]; packed: string } {
  const last = remembered?.at(-1);
  if (!remembered || last === undefined) return { legacy: [], packed: '' };
  return isPacked(last) ? { legacy: remembered.slice(0, -1), packed: last } : { legacy: remembered, packed: '' };
}

/** Packed marks never contain '.', which every older mark does. */
function isPacked(value: string): boolean {
  return value.length % MARK_CHARS === 0 && !value.includes('.');
}

/** Whether `packed` holds `mark` at a mark boundary. */
function holds(packed: string, mark: string): boolean {
  for (let at = packed.indexOf(mark); at >= 0; at = packed.indexOf(mark, at + 1)) {
    if (at % MARK_CHARS === 0) return true;
  }
  return false;
}

function hashes(id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [a >>> 0, b >>> 0];
}
