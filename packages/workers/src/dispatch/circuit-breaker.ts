/**
 * Pauses a failing destination instead of hammering it: after `failureThreshold` transient
 * failures in a row the circuit opens for a cooldown; then one probe may go (half-open); a
 * success closes it, a failure opens it again for twice as long (capped). While open, the
 * dispatcher takes no new events for that destination: they wait in its queue, none is dropped.
 */
export interface CircuitSettings {
  failureThreshold: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

export const DEFAULT_CIRCUIT: CircuitSettings = { failureThreshold: 5, cooldownMs: 5_000, maxCooldownMs: 300_000 };

export type CircuitState = { kind: 'closed'; failures: number } | { kind: 'open'; until: number; cooldownMs: number } | { kind: 'half-open'; cooldownMs: number; probing: boolean };

export class CircuitBreaker {
  private state: CircuitState = { kind: 'closed', failures: 0 };

  constructor(private readonly settings: CircuitSettings = DEFAULT_CIRCUIT) {}

  /** May an attempt start now? In half-open, only one (the probe) until it reports. */
  allows(now: number): boolean {
    if (this.state.kind === 'open') {
      if (now < this.state.until) return false;
      this.state = { kind: 'half-open', cooldownMs: this.state.cooldownMs, probing: false };
    }
    if (this.state.kind === 'half-open') {
      if (this.state.probing) return false;
      this.state.probing = true;
    }
    return true;
  }

  /** An attempt reached the receiver and it answered in a way retrying cannot change (2xx, or a permanent 4xx). */
  succeeded(): void {
    this.state = { kind: 'closed', failures: 0 };
  }

  /** A transient failure (network, timeout, 408, 429, 5xx). */
  failed(now: number): void {
    if (this.state.kind === 'half-open') {
      this.open(now, Math.min(this.settings.maxCooldownMs, this.state.cooldownMs * 2));
      return;
    }
    if (this.state.kind === 'open') return;
    this.state.failures += 1;
    if (this.state.failures >= this.settings.failureThreshold) this.open(now, this.settings.cooldownMs);
  }

  /** When an open circuit lets a probe through; 0 when not open. */
  reopensAt(): number {
    return this.state.kind === 'open' ? this.state.until : 0;
  }

  get current(): CircuitState['kind'] {
    return this.state.kind;
  }

  private open(now: number, cooldownMs: number): void {
    this.state = { kind: 'open', until: now + cooldownMs, cooldownMs };
  }
}
