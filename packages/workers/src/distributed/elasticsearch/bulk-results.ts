import type { KindResult } from '@inflow/core';

export interface BulkItemOutcome {
  status: number;
  error?: { type?: string; reason?: string | null } | undefined;
}

export type ItemVerdict = { kind: 'saved' } | { kind: 'stale' } | { kind: 'retry'; reason: string } | { kind: 'fatal'; reason: string };

/**
 * What one bulk item's answer means: written; already there in this or a newer version (409
 * from external versioning or create); worth another try (429, 5xx); or never going to work
 * (a mapping or parsing error).
 */
export function verdictOf(item: BulkItemOutcome): ItemVerdict {
  if (item.status >= 200 && item.status < 300) return { kind: 'saved' };
  if (item.status === 409) return { kind: 'stale' };
  // Elasticsearch quotes a refused value in its reason ("Preview of field's value"), whatever its size.
  const said = item.error?.reason ?? 'no reason given';
  const reason = `${item.status} ${item.error?.type ?? 'error'}: ${said.length <= 500 ? said : `${said.slice(0, 500)}…`}`;
  if (item.status === 429 || item.status >= 500) return { kind: 'retry', reason };
  return { kind: 'fatal', reason };
}

export function emptyKindResult(): KindResult {
  return { saved: 0, stale: 0, staleIds: [], failed: [] };
}
