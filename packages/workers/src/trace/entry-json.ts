import type { TraceEntry } from '@inflow/core';

/**
 * Trace entries as JSON, a frozen detail serialised once while it is the last one seen: a stage
 * that names the same facts for many entries (the same 50 rules matching every event) shares one
 * frozen detail, and writing it out for each entry was a tenth of the process. A detail that is
 * not frozen is written out every time (it may have changed). Frozen means frozen all the way
 * down: a frozen detail holding a mutable array would be written as it was when first seen.
 */
export class EntryJson {
  #lastDetail: TraceEntry['detail'];
  #lastDetailJson = '';

  of(entry: TraceEntry): string {
    const { detail } = entry;
    if (detail === undefined || !Object.isFrozen(detail)) return JSON.stringify(entry);
    if (detail !== this.#lastDetail) {
      this.#lastDetail = detail;
      this.#lastDetailJson = JSON.stringify(detail);
    }
    const rest = JSON.stringify({ ...entry, detail: undefined });
    return `${rest.slice(0, -1)}${rest.length > 2 ? ',' : ''}"detail":${this.#lastDetailJson}}`;
  }
}
