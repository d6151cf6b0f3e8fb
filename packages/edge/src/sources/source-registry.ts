import { errorMessage, InfrastructureError, isInfrastructureError, type SourceRecord, type SourceStore } from '@inflow/core';
import { MAX_ID_LENGTH } from '@inflow/protocol';

export type SourceInput = Partial<Pick<SourceRecord, 'name' | 'enabled' | 'allowedOrigins'>>;

export class SourceExistsError extends Error {
  constructor(id: string) {
    super(`source "${id}" already exists`);
    this.name = 'SourceExistsError';
  }
}

/** How long a refusal waits for the first listing of sources (for its CORS headers). */
const FIRST_LISTING_WAIT_MS = 1_000;

/**
 * Store lookups of ids that are no source known here that may be under way at once, and how many
 * more may wait in line for one. A client cycling through made-up source ids (or Segment write
 * keys) would otherwise have the store looked up once per request, as fast as it sends; past the
 * line, such a request gets 503 with Retry-After (a real new source gets in on a retry). Sources
 * known here are looked up again as their time to live requires, outside these bounds.
 */
const MAX_UNKNOWN_LOOKUPS = 32;
const MAX_UNKNOWN_WAITING = 1_000;
/** "No such source" answers kept at most; past them they are forgotten (found sources are kept). */
const MAX_MISSING_KEPT = 10_000;

/**
 * Event sources: the store holds them, and a short-lived cache answers the edge's check on
 * every request without a store round trip. Changes made here show at once; changes made by
 * another process show within `ttlMs`.
 */
export class SourceRegistry {
  /** Sources found, and ids found to be no source (kept apart: made-up ids must not push real ones out). */
  private readonly found = new Map<string, { source: SourceRecord; until: number }>();
  private readonly missing = new Map<string, { source: null; until: number }>();
  /** Store lookups under way, by id: requests for one id share one. */
  private readonly lookups = new Map<string, Promise<SourceRecord | null>>();
  /** Lookups of ids not known under way (at most MAX_UNKNOWN_LOOKUPS), and those waiting for one to end. */
  private unknownLookups = 0;
  /** Changes saved through this registry: a lookup that read the store before one does not cache its answer. */
  private saves = 0;
  private readonly inLine: Array<() => void> = [];
  private listed: { sources: SourceRecord[]; until: number } | undefined;
  private listing: Promise<void> | undefined;

  constructor(
    private readonly store: SourceStore,
    private readonly ttlMs: number,
  ) {}

  /**
   * The cached answer (null: no such source), or undefined when the cache has none or it
   * expired: then ask resolve. Lets the edge skip a promise on every request.
   */
  peek(id: string): SourceRecord | null | undefined {
    const hit = this.cached(id);
    return hit && hit.until > Date.now() ? hit.source : undefined;
  }

  /**
   * The source as the edge sees it: cached, including "no such source". An id no source can
   * have (longer than MAX_ID_LENGTH: a Segment write key is any string a client sends) is no
   * source without asking the store, and is not cached: a client cycling through long keys
   * must not fill memory. Requests for one id share one store lookup, and lookups of ids that are
   * no known source are bounded (lookUp; past the bound this rejects with InfrastructureError:
   * the edge answers 503, or keeps an expired "no such source"). While the store cannot be
   * reached, an expired answer still holds; without one this rejects (InfrastructureError: 503).
   */
  async resolve(id: string): Promise<SourceRecord | null> {
    if (id.length > MAX_ID_LENGTH) return null;
    const now = Date.now();
    const hit = this.cached(id);
    if (hit && hit.until > now) return hit.source;
    let source: SourceRecord | null;
    const saves = this.saves;
    try {
      source = await this.lookUp(id, this.found.has(id));
    } catch (error) {
      // A change saved here meanwhile is what is known now.
      const saved = saves !== this.saves ? this.peek(id) : undefined;
      if (saved !== undefined) return saved;
      // The store (or its cache) cannot be reached: what was known a moment ago holds for another
      // time to live (the next requests do not wait on the store again); otherwise the caller answers 503.
      if (!hit) throw error;
      hit.until = Date.now() + this.ttlMs;
      return hit.source;
    }
    // A change saved here while the store was read: the answer may predate it, the cache has the change.
    if (saves !== this.saves) return this.peek(id) ?? source;
    this.remember(id, source);
    return source;
  }

  /** The cached answer for `id`, expired or not. */
  private cached(id: string): { source: SourceRecord | null; until: number } | undefined {
    return this.found.get(id) ?? this.missing.get(id);
  }

  /** Caches the answer for `id` for a time to live: in `found`, or in `missing` (forgotten past MAX_MISSING_KEPT). */
  private remember(id: string, source: SourceRecord | null): void {
    const until = Date.now() + this.ttlMs;
    if (source) {
      this.missing.delete(id);
      this.found.set(id, { source, until });
    } else {
      this.found.delete(id);
      if (this.missing.size >= MAX_MISSING_KEPT) this.missing.clear();
      this.missing.set(id, { source: null, until });
    }
  }

  /**
   * One store lookup per id at a time. Those of ids that are no source known here (`known` false,
   * which includes ids found missing before, so that a client cycling through a set of made-up ids
   * stays bounded after their time to live too) take one of MAX_UNKNOWN_LOOKUPS slots, waiting
   * in line for one when all are taken; past MAX_UNKNOWN_WAITING in line this rejects.
   */
  private lookUp(id: string, known: boolean): Promise<SourceRecord | null> {
    const running = this.lookups.get(id);
    if (running) return running;
    const lookup = known ? this.store.getSource(id) : this.lookUpInSlot(id);
    const shared: Promise<SourceRecord | null> = lookup.finally(() => {
      // A save may have let a later lookup of the id take this one's place.
      if (this.lookups.get(id) === shared) this.lookups.delete(id);
    });
    this.lookups.set(id, shared);
    return shared;
  }

  private async lookUpInSlot(id: string): Promise<SourceRecord | null> {
    if (this.unknownLookups < MAX_UNKNOWN_LOOKUPS) this.unknownLookups++;
    else if (this.inLine.length >= MAX_UNKNOWN_WAITING) throw new InfrastructureError('store', `${MAX_UNKNOWN_WAITING} lookups of source ids not known wait in line`);
    // The slot is handed over by the lookup that ends (the count stays).
    else await new Promise<void>((resolve) => this.inLine.push(resolve));
    try {
      return await this.store.getSource(id);
    } finally {
      const next = this.inLine.shift();
      if (next) next();
      else this.unknownLookups--;
    }
  }

  /**
   * resolve for an ingestion request: an outage of the store (with nothing known a moment ago)
   * comes back as SourceUnreachable, which the edge answers with 503, instead of being thrown.
   */
  async check(id: string): Promise<SourceRecord | null | SourceUnreachable> {
    try {
      return await this.resolve(id);
    } catch (error) {
      if (!isInfrastructureError(error)) throw error;
      return { unreachable: errorMessage(error) };
    }
  }

  /**
   * True when any enabled source lets this origin post (used for CORS preflight), from a listing
   * at most `ttlMs` old. While the store cannot be reached the last listing holds for another time
   * to live; without one this is SourceUnreachable (the edge answers 503), not thrown.
   */
  async originAllowedAnywhere(origin: string): Promise<boolean | SourceUnreachable> {
    if (!this.listed || this.listed.until <= Date.now()) {
      try {
        await this.relist();
      } catch (error) {
        // An outage: a preflight is answered from the last listing, or with 503.
        if (!isInfrastructureError(error)) throw error;
        if (!this.listed) return { unreachable: errorMessage(error) };
      }
    }
    return this.originAllowedAsLastListed(origin);
  }

  /**
   * Whether some enabled source allows the origin, for a refusal, which must neither fail nor
   * wait on the store: an expired listing answers while a new one is fetched in the background
   * (a failed fetch keeps it for another time to live), and only the first listing is waited
   * for, at most FIRST_LISTING_WAIT_MS (then: not allowed).
   */
  async originAllowedSomewhere(origin: string): Promise<boolean> {
    if (this.listed) {
      if (this.listed.until <= Date.now()) this.relist().catch(() => undefined);
      return this.originAllowedAsLastListed(origin);
    }
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), FIRST_LISTING_WAIT_MS);
      timer.unref();
    });
    const listed = this.relist().then(
      () => this.originAllowedAsLastListed(origin),
      () => false,
    );
    try {
      return await Promise.race([listed, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One listing at a time, however many refusals ask: kept as `listed`; a failure keeps the old one longer. */
  private relist(): Promise<void> {
    this.listing ??= this.list()
      .then(
        (sources) => {
          this.listed = { sources, until: Date.now() + this.ttlMs };
        },
        (error: unknown) => {
          if (this.listed) this.listed.until = Date.now() + this.ttlMs;
          throw error;
        },
      )
      .finally(() => {
        this.listing = undefined;
      });
    return this.listing;
  }

  /**
   * Whether the last listing (of originAllowedAnywhere, which every preflight refreshes) allows
   * the origin; false when nothing was listed yet. For answers that cannot wait for the store.
   */
  originAllowedAsLastListed(origin: string): boolean {
    return this.listed?.sources.some((source) => source.enabled && originAllowed(source, origin)) ?? false;
  }

  list(): Promise<SourceRecord[]> {
    return this.store.listSources();
  }

  get(id: string): Promise<SourceRecord | null> {
    return this.store.getSource(id);
  }

  async create(id: string, input: SourceInput): Promise<SourceRecord> {
    if (await this.store.getSource(id)) throw new SourceExistsError(id);
    const now = new Date().toISOString();
    const source: SourceRecord = {
      id,
      name: input.name ?? id,
      enabled: input.enabled ?? true,
      allowedOrigins: input.allowedOrigins ?? ['*'],
      createdAt: now,
      updatedAt: now,
    };
    await this.save(source);
    return source;
  }

  /** Creates the source unless it exists; returns what is stored. */
  async ensure(id: string, input: SourceInput): Promise<SourceRecord> {
    return (await this.store.getSource(id)) ?? this.create(id, input);
  }

  async update(id: string, input: SourceInput): Promise<SourceRecord | null> {
    const current = await this.store.getSource(id);
    if (!current) return null;
    const next: SourceRecord = { ...current, ...input, updatedAt: new Date().toISOString() };
    await this.save(next);
    return next;
  }

  private async save(source: SourceRecord): Promise<void> {
    await this.store.putSource(source);
    // Known here at once (so never held up by lookups of unknown ids); lookups under way may have read the store before.
    this.saves++;
    this.remember(source.id, source);
    this.lookups.delete(source.id);
    this.listed = undefined;
  }
}

/** Why a source cannot be checked now: its store cannot be reached. */
export interface SourceUnreachable {
  unreachable: string;
}

export function isUnreachable<T>(found: T | SourceUnreachable): found is SourceUnreachable {
  return typeof found === 'object' && found !== null && 'unreachable' in found;
}

export function originAllowed(source: SourceRecord, origin: string): boolean {
  return source.allowedOrigins.includes('*') || source.allowedOrigins.includes(origin);
}
