import type { BrowserContext, Page } from 'playwright-core';

/** An event as the private API returns it. */
export interface StoredEvent {
  id: string;
  type: string;
  time: string;
  receivedAt: string;
  profileId: string;
  properties: Record<string, unknown>;
  page?: { path?: string };
  context: { page?: { path?: string } };
}

/** An event as the shop's wire tap saw it leave the browser. */
export interface SentEvent {
  id: string;
  type: string;
  profileId: string;
  status: number | string;
}

interface ShopWindow {
  inflow: unknown[] | { flush(): Promise<void> };
  shopSent(): SentEvent[];
}

/** Waits until /inflow.min.js replaced the snippet's queue with the real tracker. */
export async function trackerLoaded(page: Page): Promise<void> {
  await page.waitForFunction(() => !Array.isArray((window as unknown as ShopWindow).inflow));
}

/** Asks the tracker to send what it holds now; resolves once it has (or has nothing it may send). */
export async function flushTracker(page: Page): Promise<void> {
  await trackerLoaded(page);
  await page.evaluate(() => ((window as unknown as ShopWindow).inflow as { flush(): Promise<void> }).flush());
}

/** The events the page saw the tracker send, oldest first. */
export function sentEvents(page: Page): Promise<SentEvent[]> {
  return page.evaluate(() => (window as unknown as ShopWindow).shopSent());
}

/** What the tracker keeps in the browser: its cookies and localStorage keys (the shop's own `shop.*` keys left out). */
export async function trackerStorage(context: BrowserContext, page: Page): Promise<{ cookies: string[]; localStorage: string[] }> {
  const cookies = (await context.cookies()).map((cookie) => cookie.name).filter((name) => name.startsWith('inflow'));
  const keys = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('inflow')));
  return { cookies, localStorage: keys.sort() };
}

/** The profile id in the tracker's first-party cookie. */
export async function profileCookie(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === 'inflow_pid');
  return cookie ? decodeURIComponent(cookie.value) : '';
}

/**
 * The types of stored events, oldest first, as the store orders them by time. Events of the same
 * millisecond cannot be ordered by time: each such group is given in the expected order when it
 * holds the same types, and left as stored when it does not (so a wrong type still shows).
 */
export function typesByTime(newestFirst: StoredEvent[], expected: readonly string[]): string[] {
  const events = [...newestFirst].reverse();
  const types: string[] = [];
  for (let start = 0; start < events.length; ) {
    let end = start + 1;
    while (end < events.length && events[end]?.time === events[start]?.time) end++;
    const group = events.slice(start, end).map((event) => event.type);
    const wanted = expected.slice(start, end);
    types.push(...([...group].sort().join() === [...wanted].sort().join() ? wanted : group));
    start = end;
  }
  return types;
}

/** Where a stored page view happened. */
export const pathOf = (event: StoredEvent): string | undefined => event.page?.path ?? event.context.page?.path;
