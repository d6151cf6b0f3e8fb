import { describe, expect, it } from 'vitest';
import { verdictOf } from './bulk-results.js';

describe('verdictOf (one bulk item of Elasticsearch)', () => {
  it('tells written, already newer, worth another try and never going to work apart', () => {
    expect(verdictOf({ status: 201 })).toEqual({ kind: 'saved' });
    expect(verdictOf({ status: 409, error: { type: 'version_conflict_engine_exception' } })).toEqual({ kind: 'stale' });
    expect(verdictOf({ status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } })).toMatchObject({ kind: 'retry' });
    expect(verdictOf({ status: 503, error: { type: 'unavailable_shards_exception' } })).toMatchObject({ kind: 'retry' });
    expect(verdictOf({ status: 400, error: { type: 'document_parsing_exception', reason: 'failed to parse field [time]' } })).toEqual({
      kind: 'fatal',
      reason: '400 document_parsing_exception: failed to parse field [time]',
    });
  });

  it('retries, never dead-letters, what says the index cannot be written now: a write block, a closed or missing index', () => {
    const blocked = { status: 403, error: { type: 'cluster_block_exception', reason: 'index [x] blocked by: [FORBIDDEN/8/index write (api)];' } };
    expect(verdictOf(blocked)).toEqual({ kind: 'retry', reason: '403 cluster_block_exception: index [x] blocked by: [FORBIDDEN/8/index write (api)];' });
    expect(verdictOf({ status: 429, error: { type: 'cluster_block_exception', reason: 'disk usage exceeded flood-stage watermark' } })).toMatchObject({ kind: 'retry' });
    expect(verdictOf({ status: 400, error: { type: 'index_closed_exception', reason: 'closed' } })).toMatchObject({ kind: 'retry' });
    expect(verdictOf({ status: 404, error: { type: 'index_not_found_exception', reason: 'no such index' } })).toMatchObject({ kind: 'retry' });
  });
});
