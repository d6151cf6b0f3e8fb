import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@inflow/core';
import { errorReply, json } from '../http/replies.js';
import { segmentError } from '../segment/segment-replies.js';
import { RefusalDigest } from './refusal-digest.js';

describe('RefusalDigest', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs the refusals of a period as one warning, by route, status and code, most frequent first; nothing when there were none', () => {
    const lines: string[] = [];
    const digest = new RefusalDigest(createLogger({ level: 'info', format: 'text', sink: (line) => lines.push(line) }), 10_000);
    digest.note('/track', json(201, { queued: true }));
    vi.advanceTimersByTime(20_000);
    expect(lines).toEqual([]);
    for (let i = 0; i < 3; i++) digest.note('/v1/batch', segmentError(401, 'invalid_write_key', 'the write key names no source'));
    digest.note('/track', errorReply(400, 'malformed_json', 'the body is not valid JSON'));
    digest.note('/track', errorReply(503, 'queue_unavailable', 'later'));
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WARN .*Edge: refused 4 requests in 10 s: \/v1\/batch 401 invalid_write_key ×3, \/track 400 malformed_json ×1$/);
    vi.advanceTimersByTime(30_000);
    expect(lines).toHaveLength(1);
  });
});
