/**
 * A random v4 UUID. In the template, each 0 becomes a random hex digit and the 8 one of 8, 9,
 * a, b (the variant): 8 keeps its top bit and takes 2 random ones, 0 takes 4 (15 >> 8 / 4 is 3,
 * 15 >> 0 is 15), each from a random byte of its own. crypto.getRandomValues exists in every browser (secure context or not), in
 * workers and in Node, unlike crypto.randomUUID, which needs a secure context.
 */
export function uuid(): string {
  return '00000000-0000-4000-8000-000000000000'.replace(/[08]/g, (c) => (+c | ((crypto.getRandomValues(new Uint8Array(1))[0] as number) & (15 >> +c / 4))).toString(16));
}
