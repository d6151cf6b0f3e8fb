import type { KindResult } from '@inflow/core';

export interface BulkItemOutcome {
  status: number;
  error?: { type?: string; reason?: string | null } | undefined;
}

export type ItemVerdict = { kind: 'saved' } | { kind: 'stale' } | { kind: 'retry'; reason: string } | { kind: 'fatal'; reason: string };

/**
 * Refusals that say the index cannot be written now, whatever the document: a write block (an
 * operator's read-only block, the flood-stage disk watermark, a snapshot restore: 403 or 429),
 * a closed index (400), an index missing while it is being recreated or auto-creation is off
 * (404). The cluster's state, not the message's: retried until it changes, never dead-lettered.
 */
const INDEX_UNAVAILABLE = new Set(['cluster_block_exception', 'index_closed_exception', 'index_not_found_exception']);

/** An error type of Elasticsearch's saying the index cannot be written now (see INDEX_UNAVAILABLE). */
export const indexUnavailable = (type: string | undefined): boolean => INDEX_UNAVAILABLE.has(type ?? '');

/**
 * What one bulk item's answer means: written; already there in this or a newer version (409
 * from external versioning or create); worth another try (429, 5xx, an index that cannot be
 * written now); or never going to work (a mapping or parsing error).
 */
export function verdictOf(item: BulkItemOutcome): ItemVerdict {
  if (item.status >= 200 && item.status < 300) return { kind: 'saved' };
  if (item.status === 409) return { kind: 'stale' };
  // Elasticsearch quotes a refused value in its reason ("Preview of field's value"), whatever its size.
  const said = item.error?.reason ?? 'no reason given';
  const reason = `${item.status} ${item.error?.type ?? 'error'}: ${said.length <= 500 ? said : `${said.slice(0, 500)}…`}`;
  if (item.status === 429 || item.status >= 500 || indexUnavailable(item.error?.type)) return { kind: 'retry', reason };
  return { kind: 'fatal', reason };
}

export function emptyKindResult(): KindResult {
  return { saved: 0, stale: 0, staleIds: [], failed: [] };
}
