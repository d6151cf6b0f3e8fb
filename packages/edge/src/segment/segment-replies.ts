import type { HttpReply } from '../http/http-types.js';
import { withRefusedEvents } from '../http/replies.js';

/** What the Segment-compatible endpoints can answer besides success. */
export type SegmentErrorCode =
  | 'malformed_json'
  | 'malformed_gzip'
  | 'too_deep'
  | 'invalid_message'
  | 'message_too_large'
  | 'batch_too_large'
  | 'payload_too_large'
  | 'unsupported_encoding'
  | 'missing_write_key'
  | 'invalid_write_key'
  | 'source_disabled'
  | 'origin_not_allowed'
  | 'queue_unavailable'
  /** The store behind the sources cannot be reached (and the source was not known a moment ago). */
  | 'service_unavailable'
  | 'shutting_down';

/**
 * Segment's success flag and, at the top, the code and message clients read there
 * (RudderStack's Python client takes `code` from the top and retries when it is missing), with
 * the error shape every other Inflow endpoint answers with.
 */
export interface SegmentErrorBody {
  success: false;
  code: SegmentErrorCode;
  message: string;
  error: { code: SegmentErrorCode; message: string; path?: string };
}

/** A message of a batch refused alone (the rest was taken): its index, why, and the field at fault. */
export interface SegmentRejection {
  index: number;
  code: 'invalid_message' | 'message_too_large' | 'too_deep';
  message: string;
  path: string;
}

const JSON_TYPE = 'application/json';

/** 200 {"success": true}: Segment's answer once the queue has the messages. Built once. */
export const SEGMENT_SUCCESS: HttpReply = Object.freeze({
  status: 200,
  headers: Object.freeze({ 'content-type': JSON_TYPE }) as Record<string, string>,
  body: '{"success":true}',
});

/** 200 once the queue has the messages that could be taken, naming each one refused. */
export function segmentPartialSuccess(rejected: readonly SegmentRejection[]): HttpReply {
  return withRefusedEvents({ status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ success: true, rejected }) }, rejected);
}

export function segmentError(
  status: number,
  code: SegmentErrorCode,
  message: string,
  extra?: { path?: string | undefined; headers?: Record<string, string> },
): HttpReply {
  const error: SegmentErrorBody['error'] = extra?.path ? { code, message, path: extra.path } : { code, message };
  const body: SegmentErrorBody = { success: false, code, message, error };
  return { status, headers: { 'content-type': JSON_TYPE, ...extra?.headers }, body: JSON.stringify(body) };
}
