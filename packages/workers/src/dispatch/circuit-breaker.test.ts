import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  const settings = { failureThreshold: 3, cooldownMs: 1_000, maxCooldownMs: 3_000 };

  it('opens after consecutive failures, probes once after the cooldown, and closes on success', () => {
    const breaker = new CircuitBreaker(settings);
    breaker.failed(0);
    breaker.failed(0);
    breaker.succeeded();
    breaker.failed(0);
    breaker.failed(0);
    expect(breaker.current).toBe('closed');
    breaker.failed(10);
    expect([breaker.current, breaker.allows(500), breaker.reopensAt()]).toEqual(['open', false, 1_010]);
    expect(breaker.allows(1_010)).toBe(true);
    expect(breaker.current).toBe('half-open');
    expect(breaker.allows(1_011)).toBe(false);
    breaker.succeeded();
    expect([breaker.current, breaker.allows(1_012), breaker.allows(1_012)]).toEqual(['closed', true, true]);
  });

  it('doubles the cooldown after a failed probe, up to the cap', () => {
    const breaker = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) breaker.failed(0);
    const cooldowns: number[] = [];
    let now = 0;
    for (let round = 0; round < 4; round++) {
      now = breaker.reopensAt();
      expect(breaker.allows(now)).toBe(true);
      breaker.failed(now);
      cooldowns.push(breaker.reopensAt() - now);
    }
    expect(cooldowns).toEqual([2_000, 3_000, 3_000, 3_000]);
  });
});
