import { afterEach, describe, expect, it, vi } from 'vitest';

type Api = Record<string, (...args: unknown[]) => unknown>;

describe('the script tag before init', () => {
  afterEach(() => {
    delete (globalThis as { window?: unknown }).window;
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it('keeps at most 1000 calls made before init, and warns once when it starts dropping them', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    // The snippet's queue: calls made before the script loaded.
    const page = { inflow: [['track', ['queued-before-load']]] as unknown };
    (globalThis as { window?: unknown }).window = page;
    await import('./script-tag.js');
    const api = page.inflow as Api;
    expect(typeof api['init']).toBe('function');
    for (let i = 0; i < 998; i++) api['track']?.(`event-${i}`);
    expect(warn).not.toHaveBeenCalled();
    // 999 kept (the queued one and 998); the 1000th fits, the next ones are dropped, with one warning.
    for (let i = 0; i < 500; i++) api['track']?.(`late-${i}`);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('1000 calls made before inflow.init');
  });
});
