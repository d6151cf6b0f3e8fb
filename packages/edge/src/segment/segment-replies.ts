import type { HttpReply } from '../http/http-types.js';

/** What the Segment-compatible endpoints can answer besides success. */
export type SegmentErrorCode =
  | 'malformed_json'
  | 'malformed_gzip'
  | 'too_deep'
  | 'invalid_message'
  | 'message_too_large'
  | 'batch_too_large'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unsupported_encoding'
  | 'missing_write_key'
  | 'invalid_write_key'
  | 'source_disabled'
  | 'origin_not_allowed'
  | 'queue_unavailable'
  | 'shutting_down';

/** Segment's success flag next to the error shape every other Inflow endpoint answers with. */
export interface SegmentErrorBody {
  success: false;
  error: { code: SegmentErrorCode; message: string; path?: string };
}

const JSON_TYPE = 'application/json';

/** 200 {"success": true}: Segment's answer once the queue has the messages. Built once. */
export const SEGMENT_SUCCESS: HttpReply = Object.freeze({
  status: 200,
  headers: Object.freeze({ 'content-type': JSON_TYPE }) as Record<string, string>,
  body: '{"success":true}',
});

export function segmentError(
  status: number,
  code: SegmentErrorCode,
  message: string,
  extra?: { path?: string | undefined; headers?: Record<string, string> },
): HttpReply {
  const error: SegmentErrorBody['error'] = extra?.path ? { code, message, path: extra.path } : { code, message };
  const body: SegmentErrorBody = { success: false, error };
  return { status, headers: { 'content-type': JSON_TYPE, ...extra?.headers }, body: JSON.stringify(body) };
}
