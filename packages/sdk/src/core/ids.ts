/**
 * A random v4 UUID. crypto.getRandomValues exists in every browser (secure context or not),
 * in workers and in Node, unlike crypto.randomUUID, which needs a secure context.
 */
export function uuid(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  let hex = '';
  for (let i = 0; i < 16; i++) hex += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + ((bytes[i] as number) + 256).toString(16).slice(1);
  return hex;
}
