import { describe, expect, it } from 'vitest';

describe('importing the browser package where there is no browser', () => {
  it('touches no window or document, and a tracker made there does nothing harmful', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const sdk = await import('./index.js');
    const tracker = sdk.createTracker({ endpoint: 'http://127.0.0.1:9', sourceId: 'web', flushMs: 60_000 });
    await expect(tracker.track('rendered-on-server')).resolves.toBeUndefined();
    expect(() => sdk.autoPageViews(tracker)).not.toThrow();
    expect(sdk.privacySignals()).toBe(false);
  });
});
