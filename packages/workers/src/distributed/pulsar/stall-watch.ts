import { errorMessage, type Logger } from '@inflow/core';

export interface StallWatchOptions {
  /** How often to look; also how long without progress counts as quiet. */
  everyMs: number;
  /** Nothing buffered, nothing in hand, connected: a consumer that could take messages now. */
  idle(): boolean;
  /**
   * The subscription's backlog (messages not acknowledged yet) over every partition, and the
   * partitions where it is stuck: a backlog, consumers connected, none of them holding a message.
   */
  backlog(): Promise<{ total: number; stuck: string[] }>;
  /** Drops the connection and opens a new one. */
  reconnect(): void;
  /** Unloads these partitions (every consumer and producer of each reconnects, its dispatch starts afresh). */
  unload(partitions: string[]): Promise<void>;
  /** Named in the warning: topic and subscription. */
  label: string;
  logger: Logger;
}

/** The longest pause between two reconnects of a consumer that stays stalled. */
const MAX_PAUSE_MS = 300_000;

/**
 * Gets a stalled subscription going again: a consumer that is idle and made no progress (no
 * delivery, no acknowledgement) for `everyMs` asks for the subscription's backlog; when two checks
 * in a row find one, it acts. Where the backlog sits on partitions whose consumers hold nothing,
 * the dispatcher itself is stuck: those partitions are unloaded (the remedy Pulsar's maintainers
 * give for stuck Key_Shared subscriptions). Otherwise another consumer may be holding the
 * messages, and this one only reconnects, which is harmless. Seen rarely on Pulsar, under load,
 * after a consumer of a Key_Shared subscription was killed and another joined: every consumer
 * idle, a backlog left. Actions that do not help come further apart (doubling, up to
 * MAX_PAUSE_MS); a delivery resets that.
 */
export class StallWatch {
  private readonly timer: NodeJS.Timeout;
  private lastProgressAt = Date.now();
  private checking = false;
  private suspected = false;
  private reconnects = 0;
  private nextReconnectAt = 0;

  constructor(private readonly options: StallWatchOptions) {
    this.timer = setInterval(() => void this.check(), options.everyMs);
    this.timer.unref();
  }

  /** Something moved: a message arrived (`delivered`) or one was settled. */
  progress(delivered: boolean): void {
    this.lastProgressAt = Date.now();
    if (delivered) {
      this.reconnects = 0;
      this.nextReconnectAt = 0;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  private quiet(now: number): boolean {
    return this.options.idle() && now - this.lastProgressAt >= this.options.everyMs;
  }

  private async check(): Promise<void> {
    const now = Date.now();
    if (!this.quiet(now)) {
      this.suspected = false;
      return;
    }
    if (this.checking || now < this.nextReconnectAt) return;
    this.checking = true;
    try {
      const { total: backlog, stuck } = await this.options.backlog();
      if (backlog === 0 || !this.quiet(Date.now())) {
        this.suspected = false;
      } else if (!this.suspected) {
        this.suspected = true;
      } else {
        this.suspected = false;
        this.reconnects += 1;
        this.nextReconnectAt = now + Math.min(MAX_PAUSE_MS, this.options.everyMs * 2 ** this.reconnects);
        const quietFor = `nothing delivered for ${Math.round((now - this.lastProgressAt) / 1000)} s while the subscription has a backlog of ${backlog}`;
        if (stuck.length > 0) {
          this.options.logger.warn(`${this.options.label}: ${quietFor}, held by no consumer on ${stuck.join(', ')}; unloading them`);
          await this.options.unload(stuck);
        } else {
          this.options.logger.warn(`${this.options.label}: ${quietFor}; reconnecting`);
          this.options.reconnect();
        }
      }
    } catch (error) {
      // Reading the subscription's state or unloading failed (the broker may be restarting): the next check tries again.
      this.options.logger.debug(`${this.options.label}: stall check failed: ${errorMessage(error)}`);
    } finally {
      this.checking = false;
    }
  }
}
