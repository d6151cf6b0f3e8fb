import { setFlagsFromString } from 'node:v8';

/**
 * WebAssembly compiled by V8's baseline compiler only, for a process whose HTTP clients carry
 * little: undici (Node's fetch, the Elasticsearch client) parses responses with llhttp built as
 * WebAssembly, and V8's optimising compile of it took 20-30 MB for a few tens of milliseconds
 * while the edge connected to its services: the edge's peak RSS (108 -> 93-96 MB measured at
 * start on Pulsar). Set before the first module compiles (the flag is read at compile time);
 * the edge's request path compiles none. Not for the workers, whose store responses are many.
 */
export function compileWasmBaselineOnly(): void {
  setFlagsFromString('--liftoff-only');
}
