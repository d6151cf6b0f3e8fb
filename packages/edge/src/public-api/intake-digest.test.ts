import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@inflow/core';
import { errorReply, json, withRefusedEvents } from '../http/replies.js';
import { segmentError, segmentPartialSuccess } from '../segment/segment-replies.js';
import { IntakeDigest } from './intake-digest.js';

describe('IntakeDigest', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const digestWithLines = (): { digest: IntakeDigest; lines: string[] } => {
    const lines: string[] = [];
    return { digest: new IntakeDigest(createLogger({ level: 'info', format: 'text', sink: (line) => lines.push(line) }), 10_000), lines };
  };

  it('logs a period of accepted requests as one info line, and nothing for a period without requests', () => {
    const { digest, lines } = digestWithLines();
    vi.advanceTimersByTime(20_000);
    expect(lines).toEqual([]);
    digest.note('/track', json(201, { queued: true }));
    digest.note('/v1/batch', json(200, { success: true }));
    vi.advanceTimersByTime(9_999);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO .*Edge: requests 2, accepted 2, refused 0, unavailable 0$/);
    vi.advanceTimersByTime(30_000);
    expect(lines).toHaveLength(1);
  });

  it("counts the HTTP server's own refusals under their ingestion path, any other path as other", () => {
    const { digest, lines } = digestWithLines();
    digest.noteEarly('/track', errorReply(413, 'payload_too_large', 'the body is over 1000000 bytes'));
    digest.noteEarly('/v1/batch', errorReply(408, 'request_timeout', 'the request body did not arrive within 7000 ms'));
    digest.noteEarly('/track/../../etc/passwd?x=1', errorReply(413, 'payload_too_large', 'too large'));
    digest.noteEarly('/' + 'a'.repeat(5_000), errorReply(413, 'payload_too_large', 'too large'));
    digest.noteEarly('/v1/zzzz', errorReply(413, 'payload_too_large', 'too large'));
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WARN .*Edge: requests 5, accepted 0, refused 5, unavailable 0: other 413 payload_too_large ×3, \/track 413 payload_too_large ×1, \/v1\/batch 408 request_timeout ×1$/);
  });

  it('warns with refusals and unavailable answers by route, status and code, most frequent first', () => {
    const { digest, lines } = digestWithLines();
    digest.note('/track', json(201, { queued: true }));
    for (let i = 0; i < 3; i++) digest.note('/v1/batch', segmentError(401, 'invalid_write_key', 'the write key names no source'));
    digest.note('/track', errorReply(400, 'malformed_json', 'the body is not valid JSON'));
    for (let i = 0; i < 2; i++) digest.note('/track', errorReply(503, 'queue_unavailable', 'later'));
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /WARN .*Edge: requests 7, accepted 1, refused 4, unavailable 2: \/v1\/batch 401 invalid_write_key ×3, \/track 503 queue_unavailable ×2, \/track 400 malformed_json ×1$/,
    );
  });

  it('warns about events refused alone inside accepted answers (a 200 or 201 many clients never read), by route and first code', () => {
    const { digest, lines } = digestWithLines();
    digest.note('/track', withRefusedEvents(json(201, { queued: true }), [{ code: 'invalid_payload' }, { code: 'event_too_large' }]));
    digest.note('/v1/batch', segmentPartialSuccess([{ index: 1, code: 'message_too_large', message: 'too large', path: 'batch.1' }]));
    digest.note('/track', json(201, { queued: true }));
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /WARN .*Edge: requests 3, accepted 3 \(events refused alone in them 3\), refused 0, unavailable 0: \/track 201 with events refused alone \(first invalid_payload\) ×1, \/v1\/batch 200 with events refused alone \(first message_too_large\) ×1$/,
    );
    // Nothing refused the next period: back to info.
    digest.note('/track', json(201, { queued: true }));
    vi.advanceTimersByTime(10_000);
    expect(lines[1]).toMatch(/INFO .*Edge: requests 1, accepted 1, refused 0, unavailable 0$/);
  });

  it('counts requests dropped because their client went away (499, never sent) on their own, at info when nothing else went wrong', () => {
    const { digest, lines } = digestWithLines();
    digest.note('/track', json(201, { queued: true }));
    digest.note('/track', errorReply(499, 'queue_unavailable', 'the client went away'));
    digest.note('/v1/batch', segmentError(499, 'queue_unavailable', 'the client went away'));
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO .*Edge: requests 3, accepted 1, refused 0, unavailable 0, client gone before queued 2: \/track client gone ×1, \/v1\/batch client gone ×1$/);
    // With a real outage beside them, a warning.
    digest.note('/track', errorReply(499, 'queue_unavailable', 'the client went away'));
    digest.note('/track', errorReply(503, 'queue_unavailable', 'later'));
    vi.advanceTimersByTime(10_000);
    expect(lines[1]).toMatch(/WARN .*Edge: requests 2, accepted 0, refused 0, unavailable 1, client gone before queued 1: /);
  });

  it('says what it counted when flushed early (shutdown), then starts again', () => {
    const { digest, lines } = digestWithLines();
    digest.note('/track', errorReply(503, 'shutting_down', 'retry'));
    vi.advanceTimersByTime(5_000);
    digest.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WARN .*Edge: requests 1, accepted 0, refused 0, unavailable 1: \/track 503 shutting_down ×1$/);
    // A new period starts with the next answer: the old one's timer is gone, the counts start from zero.
    digest.note('/track', json(201, { queued: true }));
    vi.advanceTimersByTime(9_999);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/INFO .*Edge: requests 1, accepted 1, refused 0, unavailable 0$/);
  });
});
