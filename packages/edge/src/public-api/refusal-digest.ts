import type { Logger } from '@inflow/core';
import type { HttpReply } from '../http/http-types.js';

/** The error code of an answer body (Inflow's `{"error":{"code":…}}`, Segment's `{"success":false,"code":…}`). */
const CODE = /"code":"([a-z_]{1,40})"/;

/** Most distinct route, status and code combinations kept per period (they come from fixed lists; a bound all the same). */
const MAX_KINDS = 64;

/**
 * Refused ingestion requests (4xx) summed by route, status and error code, and logged once per
 * period as one warning: an operator looking for a client's missing events finds that the edge
 * refused them, and why, without a log line per request (which a flood of bad requests would
 * turn into a flood of lines).
 */
export class RefusalDigest {
  private counts = new Map<string, number>();
  private total = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly periodMs = 10_000,
  ) {}

  /** Counts the answer when it is a refusal (4xx); anything else costs a comparison. */
  note(route: string | undefined, reply: HttpReply): void {
    if (reply.status < 400 || reply.status >= 500) return;
    const code = typeof reply.body === 'string' ? (CODE.exec(reply.body)?.[1] ?? '') : '';
    const kind = `${route ?? '?'} ${reply.status}${code ? ` ${code}` : ''}`;
    this.total += 1;
    if (this.counts.has(kind) || this.counts.size < MAX_KINDS) this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.flush(), this.periodMs).unref();
  }

  /** Logs what was counted since the last flush, if anything. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.total === 0) return;
    const kinds = [...this.counts].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${kind} ×${count}`);
    this.logger.warn(`Edge: refused ${this.total} requests in ${Math.round(this.periodMs / 1000)} s: ${kinds.join(', ')}`);
    this.counts = new Map();
    this.total = 0;
  }
}
