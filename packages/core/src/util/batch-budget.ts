/**
 * The bounds of QueueConsumer.receive, for the queues to share: up to `max` messages and
 * `maxBytes` bytes of their data, the first message always (however large), and none after the
 * first that does not fit, so that a batch is a prefix and keeps the order.
 */
export class BatchBudget {
  private taken = 0;
  private bytes = 0;
  private closed = false;

  constructor(
    private readonly max: number,
    private readonly maxBytes: number,
  ) {}

  /** Whether a message of `bytes` joins the batch (counted when it does). */
  admits(bytes: number): boolean {
    this.closed ||= this.taken >= this.max || (this.taken > 0 && this.bytes + bytes > this.maxBytes);
    if (this.closed) return false;
    this.taken += 1;
    this.bytes += bytes;
    return true;
  }

  /** Messages the batch may still take (0 once one did not fit). */
  get room(): number {
    return this.closed ? 0 : this.max - this.taken;
  }
}
