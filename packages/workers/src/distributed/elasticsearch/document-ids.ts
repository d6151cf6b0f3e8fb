/** The longest document id Elasticsearch stores, in UTF-8 bytes. */
export const MAX_DOCUMENT_ID_BYTES = 512;

/**
 * Whether a document may have this id. No document has a longer one, so a lookup of one finds
 * nothing and is not sent: Elasticsearch would refuse it (a bad request, or a request line over
 * its 4 KB limit once the id is in the URL), which is not an outage and not the caller's 500.
 */
export function canBeDocumentId(id: string): boolean {
  return id.length <= MAX_DOCUMENT_ID_BYTES / 3 || Buffer.byteLength(id) <= MAX_DOCUMENT_ID_BYTES;
}
