import type { BrowserContext, Page, Route } from 'playwright-core';
import type { TestInflow } from '../../packages/app/test/support/start-inflow.js';

export interface StoredEvent {
  id: string;
  type: string;
  profileId: string;
  sessionId: string;
  properties: Record<string, unknown>;
  context: { page?: { path?: string; url?: string } };
}

/** The script-tag API as a test calls it inside the page. */
export interface PageInflow {
  track(type: string, properties?: unknown, options?: unknown): Promise<unknown>;
  identify(id: string): Promise<unknown>;
  flush(): Promise<void>;
  consent(value: unknown): void;
}

/** Waits until the real tracker replaced the snippet's queue. */
export function trackerLoaded(page: Page): Promise<unknown> {
  return page.waitForFunction(() => !Array.isArray((window as unknown as { inflow: unknown }).inflow));
}

/** Tracks `count` events of `type` in the page, with properties { i: from … from+count-1 }. */
export function trackNumbered(page: Page, type: string, count: number, from = 0): Promise<void> {
  return page.evaluate(
    ([eventType, n, start]) => {
      const inflow = (window as unknown as { inflow: PageInflow }).inflow;
      for (let i = start; i < start + n; i++) void inflow.track(eventType, { i });
    },
    [type, count, from] as const,
  );
}

/** Events waiting in the tracker's localStorage queue (every page's key of the source). */
export function queuedInStorage(page: Page): Promise<Array<{ id: string; type: string; beacon: boolean }>> {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((key) => key.startsWith('inflow:q:'))
      .flatMap((key) =>
        (JSON.parse(localStorage.getItem(key) ?? '[]') as Array<{ event: { id: string; type: string }; beacon?: boolean }>).map((item) => ({
          id: item.event.id,
          type: item.event.type,
          beacon: item.beacon === true,
        })),
      ),
  );
}

/** Every localStorage key the tracker may write (queue and ids). */
export function trackerStorageKeys(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('inflow')));
}

export async function trackerCookies(context: BrowserContext): Promise<string[]> {
  return (await context.cookies()).filter((cookie) => cookie.name.startsWith('inflow')).map((cookie) => cookie.name);
}

/** Events of a profile in storage, once at least `count` are there. */
export async function storedEvents(app: TestInflow, profileId: string, count: number, ms = 15_000): Promise<StoredEvent[]> {
  const body = await app.eventually<{ events: StoredEvent[] }>(`/profiles/${encodeURIComponent(profileId)}/events?limit=500`, (b) => b.events.length >= count, ms);
  return body.events;
}

/** How many times each id occurs. */
export function countById(events: Array<{ id: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  return counts;
}

export interface TrackRequest {
  profileId: string;
  context: unknown;
  events: Array<{ id: string; type: string; properties: Record<string, unknown>; context?: unknown }>;
}

/**
 * Intercepts the page's /track requests: `answer` decides each one (fail it, fulfil it with a
 * status, or let it through to the real edge). Every request body is recorded, answered or not.
 */
export async function interceptTrack(page: Page, answer: (request: TrackRequest, route: Route) => Promise<void>): Promise<TrackRequest[]> {
  const seen: TrackRequest[] = [];
  await page.route('**/track', async (route) => {
    const body = JSON.parse(route.request().postData() ?? '{}') as { profile?: { id: string }; context?: unknown; events?: TrackRequest['events'] };
    const request = { profileId: body.profile?.id ?? '', context: body.context, events: body.events ?? [] };
    seen.push(request);
    await answer(request, route);
  });
  return seen;
}

/** Runs the page's fake clock forward in steps of `stepMs`, waiting after each step until `settled()` (real time). */
export async function runClock(page: Page, totalMs: number, stepMs: number, settled: () => Promise<unknown>): Promise<void> {
  for (let done = 0; done < totalMs; done += stepMs) {
    await page.clock.runFor(stepMs);
    await settled();
  }
}

/** Resolves once `predicate` holds, checking every 20 ms of real time (at most `ms`). */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
