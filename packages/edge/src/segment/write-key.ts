const BASIC = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i;

/**
 * The write key of an `Authorization: Basic base64(writeKey:)` header, as Segment's clients send
 * it: the user name, with an empty password. A header without the colon is read as the key
 * alone (Segment accepts that too). Undefined when there is no usable Basic header.
 */
export function writeKeyFromHeader(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = BASIC.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = colon === -1 ? decoded : decoded.slice(0, colon);
  return key.length > 0 ? key : undefined;
}

/** The `writeKey` a body may carry instead of the header (Segment's "writeKey authentication"). */
export function writeKeyFromBody(body: Record<string, unknown>): string | undefined {
  const key = body['writeKey'];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}
