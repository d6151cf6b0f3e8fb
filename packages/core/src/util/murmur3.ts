/**
 * MurmurHash3 (x86, 32 bits) of bytes: the hash Pulsar's clients route keys to partitions with
 * under `Murmur3_32Hash` (as Inflow's WebSocket producers ask the broker to), so one key lands on
 * the same partition whichever transport published it.
 */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const mix = (block: number): number => Math.imul(rotate(Math.imul(block, c1), 15), c2);
  let hash = seed | 0;
  const whole = bytes.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    const block = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    hash = (Math.imul(rotate(hash ^ mix(block), 13), 5) + 0xe6546b64) | 0;
  }
  const rest = bytes.length & 3;
  if (rest > 0) {
    let block = 0;
    if (rest === 3) block ^= (bytes[whole + 2] as number) << 16;
    if (rest >= 2) block ^= (bytes[whole + 1] as number) << 8;
    block ^= bytes[whole] as number;
    hash ^= mix(block);
  }
  hash ^= bytes.length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

const utf8 = new TextEncoder();

function rotate(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/** The partition Pulsar's Murmur3_32Hash routing gives `key` among `partitions`. */
export function partitionOfKey(key: string, partitions: number): number {
  return (murmur3(utf8.encode(key)) & 0x7fffffff) % partitions;
}

/**
 * The queue keys of `lanes` lanes, chosen so that Pulsar's Murmur3_32Hash routing puts lane i on
 * partition i modulo the partition count whenever that count divides the lane count (8 lanes on
 * 1, 2, 4 or 8 partitions: evenly spread; plain `lane-<i>` put none of 8 on partition 0 of 4).
 * Lane i keeps `lane-<i>` where that already fits; the other lanes take the first `lane.<n>`
 * that hashes to them, in one pass (about lanes × ln(lanes) hashes).
 */
export function laneKeys(lanes: number): string[] {
  const keys: Array<string | undefined> = Array.from({ length: lanes }, (_, index) => (partitionOfKey(`lane-${index}`, lanes) === index ? `lane-${index}` : undefined));
  let missing = keys.filter((key) => key === undefined).length;
  for (let n = 1; missing > 0; n++) {
    const key = `lane.${n}`;
    const slot = partitionOfKey(key, lanes);
    if (keys[slot] !== undefined) continue;
    keys[slot] = key;
    missing -= 1;
  }
  return keys as string[];
}
