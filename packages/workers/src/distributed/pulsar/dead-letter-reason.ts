import type { OutgoingMessage, QueueMessage } from '@inflow/core';
/** Property holding the dead-letter reason percent-encoded, beside the plain `reason` that broker tools show. */
export const ENCODED_REASON = 'reasonEncoded';

/**
 * Longest reason kept (characters): the admin API returns a letter's properties in one HTTP
 * header, the reason twice (plain and percent-encoded), and its server refuses headers past
 * 8 KB: one letter with a 40 KB reason (Elasticsearch quoting the value it refused) made every
 * peek of the dead letters fail.
 */
const MAX_REASON = 500;

/** The reason as kept in a letter's properties: cut at MAX_REASON characters, marked when cut. */
export function keptReason(reason: string): string {
  return reason.length <= MAX_REASON ? reason : `${reason.slice(0, MAX_REASON)}… (${reason.length} characters)`;
}

/** The reason as written: the encoded copy when it is there and sound, else the plain property. */
export function readReason(properties: Record<string, string>): string | undefined {
  const encoded = properties[ENCODED_REASON];
  if (encoded !== undefined) {
    try {
      return decodeURIComponent(encoded);
    } catch {
      // A hand-made letter with a broken copy: fall back to the plain one.
    }
  }
  return properties['reason'];
}

/** The dead letter for `data` (one message, or one request inside a batch message) with its reason and origin. */
export function deadLetterOf(message: QueueMessage, data: Uint8Array, whole: string, topic: string, subscription: string): OutgoingMessage {
  const reason = keptReason(whole);
  return {
    key: message.key,
    data,
    properties: {
      reason,
      // The admin API returns properties in an HTTP header, which keeps only Latin-1: this copy survives any script.
      [ENCODED_REASON]: encodeURIComponent(reason),
      topic,
      subscription,
      redeliveryCount: String(message.redeliveryCount),
      failedAt: new Date().toISOString(),
    },
  };
}
