import type { TraceEntry } from '@inflow/core';

/**
 * Trace entries written in batches (slots), by both trace stores: one JSON.stringify for a
 * batch, where one per entry was most of what the trace cost a busy edge. An entry as a slot
 * keeps it: a row of its fields, its detail given as is, or as the index of a frozen detail the
 * slot writes once for all its entries that share it (with 50 rules a `rule` entry's detail is
 * about 3 KB, and writing it out per event was a tenth of the process).
 */
type Row = [at: number, stage: TraceEntry['stage'], role: string, requestId: string | null, profileId: string | null, eventIds: readonly string[] | null, detail: number | TraceEntry['detail'] | null];
/** One slot's JSON: the frozen details its rows share, and the rows, oldest first. */
interface SlotJson {
  d: NonNullable<TraceEntry['detail']>[];
  r: Row[];
}

/** A batch's slot as JSON: each frozen detail written once, however many of its entries share it. */
export function slotJson(entries: readonly TraceEntry[]): string {
  const details = new Map<NonNullable<TraceEntry['detail']>, number>();
  const rows = entries.map((entry): Row => {
    const { detail } = entry;
    let written: Row[6] = detail ?? null;
    if (detail !== undefined && Object.isFrozen(detail)) {
      written = details.get(detail);
      if (written === undefined) details.set(detail, (written = details.size));
    }
    return [entry.at, entry.stage, entry.role, entry.requestId ?? null, entry.profileId ?? null, entry.eventIds ?? null, written];
  });
  return JSON.stringify({ d: [...details.keys()], r: rows } satisfies SlotJson);
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
  const parsed = JSON.parse(text) as SlotJson | SlotJson[];
  return Array.isArray(parsed) ? parsed.flatMap(slotEntries) : slotEntries(parsed);
}

function slotEntries({ d: details, r: rows }: SlotJson): TraceEntry[] {
  return rows.map((row) => entryOf(row, details));
}

/** A row read back; the rows of a slot that shared a frozen detail share its one parsed copy (reads never change entries). */
function entryOf([at, stage, role, requestId, profileId, eventIds, detail]: Row, details: SlotJson['d']): TraceEntry {
  const entry: TraceEntry = { at, stage, role };
  if (requestId !== null) entry.requestId = requestId;
  if (profileId !== null) entry.profileId = profileId;
  if (eventIds !== null) entry.eventIds = eventIds;
  if (typeof detail === 'number') entry.detail = details[detail];
  else if (detail !== null && detail !== undefined) entry.detail = detail;
  return entry;
}

