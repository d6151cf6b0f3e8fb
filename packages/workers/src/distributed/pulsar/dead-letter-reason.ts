/** Property holding the dead-letter reason percent-encoded, beside the plain `reason` that broker tools show. */
export const ENCODED_REASON = 'reasonEncoded';

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
