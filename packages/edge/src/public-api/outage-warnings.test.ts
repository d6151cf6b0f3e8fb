import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@inflow/core';
import { outageWarnings } from './outage-warnings.js';

describe('outageWarnings', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says each cause at most once per 10 s, and one cause never hides the other', () => {
    const lines: string[] = [];
    const warn = outageWarnings(createLogger({ level: 'info', format: 'text', sink: (line) => lines.push(line) }));
    warn.sources('sources away 1');
    warn.sources('sources away 2');
    warn.queue('queue away 1');
    warn.queue('queue away 2');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/WARN .*sources away 1$/);
    expect(lines[1]).toMatch(/WARN .*queue away 1$/);
    vi.advanceTimersByTime(9_999);
    warn.queue('queue away 3');
    expect(lines).toHaveLength(2);
    vi.advanceTimersByTime(1);
    warn.queue('queue away 4');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/WARN .*queue away 4$/);
  });
});
