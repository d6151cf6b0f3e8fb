import type { JsonObject } from '@inflow/protocol';
import type { PageContext } from '@inflow/core';

const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const;

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

/** utm_* query parameters of a page URL, if any. */
export function utmFromUrl(url: string | undefined): Record<string, string> | undefined {
  if (!url) return undefined;
  const params = parseUrl(url)?.searchParams;
  if (!params) return undefined;
  const utm: Record<string, string> = {};
  for (const key of UTM_KEYS) {
    const value = params.get(key);
    if (value) utm[key.slice(4)] = value;
  }
  return Object.keys(utm).length > 0 ? utm : undefined;
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
