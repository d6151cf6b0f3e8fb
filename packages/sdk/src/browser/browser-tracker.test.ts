import { describe, expect, it, vi } from 'vitest';
import { isInvalidEventError } from '../core/errors.js';
import { createTracker } from './browser-tracker.js';

describe('createTracker (outside a browser: the API rules alone)', () => {
  it('rejects the promise of an invalid call instead of throwing, and keeps working', async () => {
    const tracker = createTracker({ endpoint: 'http://127.0.0.1:9', sourceId: 'web', flushMs: 60_000 });
    const error = await tracker.track('x'.repeat(200)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isInvalidEventError(error) && error.path).toBe('type');
    await expect(tracker.identify('bad\nid')).rejects.toThrow(/invalid_id at profileId/);
    await expect(tracker.group('')).rejects.toThrow(/invalid_id at groupId/);
    await expect(tracker.track('fine')).resolves.toBeUndefined();
  });

  it('calls ready callbacks once made, survives a throwing one and a failing plugin', async () => {
    const plugin = vi.fn(() => {
      throw new Error('plugin bug');
    });
    const tracker = createTracker({ endpoint: 'http://127.0.0.1:9', sourceId: 'web', flushMs: 60_000, plugins: [plugin] });
    expect(plugin).toHaveBeenCalledTimes(1);
    const calls: string[] = [];
    tracker.ready(() => {
      throw new Error('callback bug');
    });
    await new Promise<void>((resolve) => tracker.ready(() => (calls.push('ready'), resolve())));
    expect(calls).toEqual(['ready']);
    await expect(tracker.track('still-fine')).resolves.toBeUndefined();
  });
});
