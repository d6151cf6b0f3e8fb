import { CLIENT_GONE_STATUS, type Logger } from '@inflow/core';
import type { HttpReply } from '../http/http-types.js';
import { SEGMENT_PATHS } from '../segment/segment-routes.js';

/** The error code of an answer body (Inflow's `{"error":{"code":…}}`, Segment's `{"success":false,"code":…}`). */
const CODE = /"code":"([a-z_]{1,40})"/;

/** Most distinct route, status and code combinations kept per period (they come from fixed lists; a bound all the same). */
const MAX_KINDS = 64;

/**
 * The ingestion answers of a period, logged as one line when the period ends: how many requests
 * were accepted, and the refusals (4xx) and unavailable answers (5xx: queue or store away,
 * shutting down) summed by route, status and error code. An operator looking for a client's
 * events sees whether the edge took them, refused them and why, or could not take them, without
 * a log line per request (which a flood of bad requests or an outage would turn into a flood of
 * lines). Events refused alone inside an accepted answer (its `rejected`, which many clients
 * never read) are counted too, by route and first code. Info when everything was accepted, a
 * warning otherwise; nothing when nothing came.
 */
export class IntakeDigest {
  private accepted = 0;
  private refused = 0;
  private unavailable = 0;
  private abandoned = 0;
  /** Events refused alone inside accepted answers (a 200 or 201 with `rejected`). */
  private refusedEvents = 0;
  private counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly periodMs = 10_000,
  ) {}

  /**
   * Counts an answer the HTTP server gave before any route ran (413 body too large, 408 body too
   * slow, 503 too many pipelined): under its ingestion route's path, or "other" for any other path
   * (a client's path is not a bounded label).
   */
  noteEarly(path: string, reply: HttpReply): void {
    this.note(path === '/track' || SEGMENT_PATHS.has(path) ? path : 'other', reply);
  }

  /**
   * Counts the answer; an accepted one costs a comparison and an increment. A 499 is a request
   * whose client went away before the queue took it (timed out, closed its connection): not
   * stored, and the answer never sent (RequestBatcher, ClientGoneError).
   */
  note(route: string | undefined, reply: HttpReply): void {
    this.timer ??= setTimeout(() => this.flush(), this.periodMs).unref();
    if (reply.status === CLIENT_GONE_STATUS) {
      this.abandoned += 1;
      this.count(`${route ?? '?'} client gone`);
      return;
    }
    if (reply.status < 400) {
      this.accepted += 1;
      if (reply.refusedEvents) {
        this.refusedEvents += reply.refusedEvents.count;
        this.count(`${route ?? '?'} ${reply.status} with events refused alone (first ${reply.refusedEvents.code})`);
      }
      return;
    }
    if (reply.status < 500) this.refused += 1;
    else this.unavailable += 1;
    const code = typeof reply.body === 'string' ? (CODE.exec(reply.body)?.[1] ?? '') : '';
    this.count(`${route ?? '?'} ${reply.status}${code ? ` ${code}` : ''}`);
  }

  /** One more request of a kind of answer (at most MAX_KINDS kinds a period). */
  private count(kind: string): void {
    if (this.counts.has(kind) || this.counts.size < MAX_KINDS) this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  /** Logs what was counted since the last flush, if anything (also at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const total = this.accepted + this.refused + this.unavailable + this.abandoned;
    if (total === 0) return;
    const kinds = [...this.counts].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${kind} ×${count}`);
    const line =
      `Edge: requests ${total}, accepted ${this.accepted}` +
      (this.refusedEvents > 0 ? ` (events refused alone in them ${this.refusedEvents})` : '') +
      `, refused ${this.refused}, unavailable ${this.unavailable}` +
      (this.abandoned > 0 ? `, client gone before queued ${this.abandoned}` : '') +
      (kinds.length > 0 ? `: ${kinds.join(', ')}` : '');
    // Clients that give up alone are no fault of the edge's: said at info, with the count.
    if (this.refused + this.unavailable + this.refusedEvents > 0) this.logger.warn(line);
    else this.logger.info(line);
    this.counts = new Map();
    this.accepted = 0;
    this.refused = 0;
    this.unavailable = 0;
    this.abandoned = 0;
    this.refusedEvents = 0;
  }
}
