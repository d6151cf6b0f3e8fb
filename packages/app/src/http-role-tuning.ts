import { setFlagsFromString } from 'node:v8';
import type { Role } from './app.js';

/** Roles that only serve HTTP: the public edge and the private API. */
const HTTP_ROLES: ReadonlySet<Role> = new Set(['edge', 'api']);

/**
 * V8 settings for a process that runs only the HTTP roles (`inflow edge`, `inflow api`), whose
 * peak RSS they bound. Set before the engine starts; a process with any worker role keeps V8's
 * defaults (its store responses are many, its heap larger).
 *
 * - WebAssembly by the baseline compiler only: undici (Node's fetch, the Elasticsearch client)
 *   parses responses with llhttp built as WebAssembly, and V8's optimising compile of it took
 *   20-30 MB for a few tens of milliseconds while the edge connected to its services, which was
 *   the edge's peak RSS on Pulsar (107-112 MB; 89-96 MB without it). The flag is read at compile
 *   time; the request path compiles none.
 * - The old generation may grow by 20 % of what a full collection left, not by V8's dynamic
 *   factor (up to 4x): in about one run in four the edge's old generation went 10 -> 34 MB
 *   between collections and its peak RSS to 126-132 MB; with 20 %, 102-110 MB over eight runs
 *   each, at the same CPU a request (a full collection of its ~10 MB heap takes 3-7 ms).
 */
export function tuneForHttpRoles(roles: readonly Role[]): void {
  if (roles.length === 0 || !roles.every((role) => HTTP_ROLES.has(role))) return;
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--heap-growing-percent=20');
}
