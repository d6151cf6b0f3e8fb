import type { TraceEntry } from '@inflow/core';

/**
 * Trace entries written in batches (slots), by both trace stores: one JSON.stringify for a
 * batch, where one per entry was most of what the trace cost a busy edge. A slot is written in
 * columns: consecutive entries of one stage and role form a group, and each field of theirs is
 * one array (times as milliseconds after the slot's first, event ids of all its entries in one
 * flat array with a count per entry). JSON then writes few arrays of plain values, where a row
 * per entry cost about twice as much, and the text is about a fifth shorter. A detail is given
 * as is, or as the index of a frozen detail the slot writes once for all its entries that share
 * it (with 50 rules a `rule` entry's detail is about 3 KB, and writing it out per event was a
 * tenth of the process).
 */
type Detail = NonNullable<TraceEntry['detail']>;
/** A group's columns: stage, role, then per entry its time after the base, request id, profile id, number of event ids (-1: none), and detail (index, as is, or null); the event ids of all its entries, in order. */
type Group = [stage: TraceEntry['stage'], role: string, at: number[], requestId: (string | null)[], profileId: (string | null)[], eventCount: number[], eventIds: string[], detail: (number | Detail | null)[]];
/** One slot's JSON: the base time, the frozen details its entries share, and the groups, oldest first. */
interface SlotJson {
  b: number;
  d: Detail[];
  g: Group[];
}
/** A row per entry: how slots were written before (a Redis store may still hold some within its time to live). */
type Row = [at: number, stage: TraceEntry['stage'], role: string, requestId: string | null, profileId: string | null, eventIds: readonly string[] | null, detail: number | Detail | null];
interface RowSlotJson {
  d: Detail[];
  r: Row[];
}

/** A batch's slot as JSON: each frozen detail written once, however many of its entries share it. */
export function slotJson(entries: readonly TraceEntry[]): string {
  const details = new Map<Detail, number>();
  const groups: Group[] = [];
  const base = entries[0]?.at ?? 0;
  let group: Group | undefined;
  for (const entry of entries) {
    const { detail, eventIds } = entry;
    if (group === undefined || group[0] !== entry.stage || group[1] !== entry.role) groups.push((group = [entry.stage, entry.role, [], [], [], [], [], []]));
    group[2].push(entry.at - base);
    group[3].push(entry.requestId ?? null);
    group[4].push(entry.profileId ?? null);
    if (eventIds === undefined) group[5].push(-1);
    else {
      group[5].push(eventIds.length);
      for (let k = 0; k < eventIds.length; k++) group[6].push(eventIds[k] as string);
    }
    let written: number | Detail | null = detail ?? null;
    if (detail !== undefined && Object.isFrozen(detail)) {
      written = details.get(detail) ?? null;
      if (written === null) details.set(detail, (written = details.size));
    }
    group[7].push(written);
  }
  return JSON.stringify({ b: base, d: [...details.keys()], g: groups } satisfies SlotJson);
}

/** A slot that can be written: its entries, their JSON, and how many were left out and why. */
export interface WritableSlot {
  entries: readonly TraceEntry[];
  json: string;
  /** Entries left out because JSON cannot write them (a BigInt in a detail). */
  failed: number;
  /** Why the first one failed. */
  error?: unknown;
}

/** The entries' slot JSON, without any entry JSON cannot write: a bad entry costs only itself. */
export function writableSlot(entries: readonly TraceEntry[]): WritableSlot {
  try {
    return { entries, json: slotJson(entries), failed: 0 };
  } catch (error) {
    const good = entries.filter((entry) => writes(entry));
    return { entries: good, json: slotJson(good), failed: entries.length - good.length, error };
  }
}

function writes(entry: TraceEntry): boolean {
  try {
    slotJson([entry]);
    return true;
  } catch {
    return false;
  }
}

/** The entries, oldest first as they were given, of one slot's JSON or of an array of slots (the Redis store joins small slots in one value). */
export function readSlots(text: string): TraceEntry[] {
  const parsed = JSON.parse(text) as SlotJson | RowSlotJson | (SlotJson | RowSlotJson)[];
  return Array.isArray(parsed) ? parsed.flatMap(slotEntries) : slotEntries(parsed);
}

function slotEntries(slot: SlotJson | RowSlotJson): TraceEntry[] {
  if ('r' in slot) return slot.r.map(([at, stage, role, requestId, profileId, eventIds, detail]) => entryOf(at, stage, role, requestId, profileId, eventIds, detail, slot.d));
  const entries: TraceEntry[] = [];
  for (const [stage, role, at, requestId, profileId, eventCount, eventIds, detail] of slot.g) {
    let next = 0;
    for (let k = 0; k < at.length; k++) {
      const count = eventCount[k] as number;
      const ids = count < 0 ? null : eventIds.slice(next, (next += count));
      entries.push(entryOf(slot.b + (at[k] as number), stage, role, requestId[k] ?? null, profileId[k] ?? null, ids, detail[k] ?? null, slot.d));
    }
  }
  return entries;
}

/** An entry read back; the entries of a slot that shared a frozen detail share its one parsed copy (reads never change entries). */
function entryOf(
  at: number,
  stage: TraceEntry['stage'],
  role: string,
  requestId: string | null,
  profileId: string | null,
  eventIds: readonly string[] | null,
  detail: number | Detail | null,
  details: readonly Detail[],
): TraceEntry {
  const entry: TraceEntry = { at, stage, role };
  if (requestId !== null) entry.requestId = requestId;
  if (profileId !== null) entry.profileId = profileId;
  if (eventIds !== null) entry.eventIds = eventIds;
  if (typeof detail === 'number') entry.detail = details[detail];
  else if (detail !== null && detail !== undefined) entry.detail = detail;
  return entry;
}
