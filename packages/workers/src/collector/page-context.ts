import type { JsonObject } from '@inflow/protocol';
import type { PageContext } from '@inflow/core';

/** A `utm_*` parameter whose name (after `utm_`) may be a key of a stored record: the edge's key rules, and never `__proto__`. */
const UTM_PARAMETER = /^utm_(?!__proto__$)([\w-]{1,64})$/;

/** Reads `context.page` ({url, path, title, referrer}) and falls back to the Referer header for the URL. */
export function pageFromContext(context: JsonObject, refererHeader: string | undefined): PageContext | undefined {
  const page = asObject(context['page']);
  const url = text(page?.['url']) ?? refererHeader;
  const title = text(page?.['title']);
  const referrer = text(page?.['referrer']) ?? text(page?.['referer']);
  const path = text(page?.['path']) ?? (url ? pathOf(url) : undefined);
  if (!url && !title && !referrer && !path) return undefined;
  return dropUndefined({ url, path, title, referrer });
}

/**
 * The `utm_*` query parameters of a page URL (`utm_source=ads` → `{ source: 'ads' }`, the first
 * of a repeated one), if any: every one with a name a record may carry, not only the five
 * standard ones (`utm_id`, `utm_source_platform`…).
 */
export function utmFromUrl(url: string | undefined): Record<string, string> | undefined {
  if (!url?.includes('utm_')) return undefined;
  const params = parseUrl(url)?.searchParams;
  let utm: Record<string, string> | undefined;
  params?.forEach((value, key) => {
    const name = UTM_PARAMETER.exec(key)?.[1];
    if (name && value && !(utm && Object.hasOwn(utm, name))) (utm ??= {})[name] = value;
  });
  return utm;
}

/**
 * The context with `utm` read from the address in its `page.url`, when it has none: the Inflow
 * tracker leaves the parameters in the address rather than send them twice; a `utm` a client
 * sent is kept as it is.
 */
export function withUtm(context: JsonObject): JsonObject {
  if (context['utm'] !== undefined) return context;
  const url = asObject(context['page'])?.['url'];
  const utm = typeof url === 'string' ? utmFromUrl(url) : undefined;
  return utm ? { ...context, utm } : context;
}

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function pathOf(url: string): string | undefined {
  return parseUrl(url)?.pathname;
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
