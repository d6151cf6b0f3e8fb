import type { Redis } from 'ioredis';
import { errorMessage, type LoadedState, type Logger, type ProfileRecord, type ProfileState, type RecordStore, type SessionRecord } from '@inflow/core';

export interface RedisProfileStateOptions {
  redis: Redis;
  /** Cold reads (records not in Redis) go to the store, in one multi-get. */
  store: RecordStore;
  keyPrefix: string;
  /** How long an untouched profile stays hot. */
  profileTtlSeconds: number;
  sessionTtlSeconds: number;
  logger: Logger;
}

// Each value is "{version}|{json}": the version is read without decoding the JSON. A record is
// written only if it is newer than what Redis holds, so a slow writer never moves one back.
// KEYS: the records' keys; ARGV: ttl of each key, then version and value of each key.
const PUT_IF_NEWER = `
local n = #KEYS
for i = 1, n do
  local version = tonumber(ARGV[n + 2 * i - 1])
  local current = redis.call('GET', KEYS[i])
  local held = current and tonumber(string.match(current, '^(%d+)|'))
  if not held or held < version then
    redis.call('SET', KEYS[i], ARGV[n + 2 * i], 'EX', ARGV[i])
  end
end
return n`;

interface PutIfNewer {
  inflowPutIfNewer(numKeys: number, ...args: string[]): Promise<number>;
}

/**
 * The distributed collector's hot state. Policy: Elasticsearch is the authority and Redis a
 * cache of what Elasticsearch already holds (the collector writes Elasticsearch first). Redis
 * may lose everything at any time: records are then read from Elasticsearch (real-time
 * multi-get) and the result is exact. If Redis is unreachable, reads go to Elasticsearch and
 * the pipeline keeps going.
 */
export class RedisProfileState implements ProfileState {
  private readonly redis: Redis & PutIfNewer;

  constructor(private readonly options: RedisProfileStateOptions) {
    options.redis.defineCommand('inflowPutIfNewer', { lua: PUT_IF_NEWER });
    this.redis = options.redis as Redis & PutIfNewer;
  }

  async load(profileIds: string[], sessionIds: string[]): Promise<LoadedState> {
    const keys = [...profileIds.map((id) => this.key('profile', id)), ...sessionIds.map((id) => this.key('session', id))];
    let values: Array<string | null> = [];
    if (keys.length > 0) {
      try {
        values = await this.redis.mget(keys);
      } catch (error) {
        this.options.logger.warn(`redis read failed, reading ${keys.length} records from the store: ${errorMessage(error)}`);
      }
    }
    const profiles = new Map<string, ProfileRecord>();
    const sessions = new Map<string, SessionRecord>();
    const coldProfiles = fill(profiles, profileIds, values, 0);
    const coldSessions = fill(sessions, sessionIds, values, profileIds.length);
    const [storedProfiles, storedSessions] = await Promise.all([
      coldProfiles.length > 0 ? this.options.store.getProfiles(coldProfiles) : new Map<string, ProfileRecord>(),
      coldSessions.length > 0 ? this.options.store.getSessions(coldSessions) : new Map<string, SessionRecord>(),
    ]);
    for (const [id, record] of storedProfiles) profiles.set(id, record);
    for (const [id, record] of storedSessions) sessions.set(id, record);
    return { profiles, sessions };
  }

  async save(profiles: ProfileRecord[], sessions: SessionRecord[]): Promise<void> {
    const records = [
      ...profiles.map((record) => ({ key: this.key('profile', record.id), ttl: this.options.profileTtlSeconds, record })),
      ...sessions.map((record) => ({ key: this.key('session', record.id), ttl: this.options.sessionTtlSeconds, record })),
    ];
    if (records.length === 0) return;
    try {
      await this.redis.inflowPutIfNewer(
        records.length,
        ...records.map((r) => r.key),
        ...records.map((r) => String(r.ttl)),
        ...records.flatMap((r) => [String(r.record.version), `${r.record.version}|${JSON.stringify(r.record)}`]),
      );
    } catch (error) {
      // The store holds these already; a missing cache entry only costs a cold read.
      this.options.logger.warn(`redis write of ${records.length} records failed: ${errorMessage(error)}`);
    }
  }

  async forget(profileIds: string[], sessionIds: string[]): Promise<void> {
    const keys = [...profileIds.map((id) => this.key('profile', id)), ...sessionIds.map((id) => this.key('session', id))];
    if (keys.length === 0) return;
    try {
      await this.redis.del(keys);
    } catch (error) {
      // Harmless: the collector reads these from the store next, and an old copy loses to the store's version.
      this.options.logger.warn(`redis could not drop ${keys.length} outdated records: ${errorMessage(error)}`);
    }
  }

  private key(kind: 'profile' | 'session', id: string): string {
    return `${this.options.keyPrefix}:${kind}:${id}`;
  }
}

/** Puts the cached records into `into`; returns the ids that were not cached. */
function fill<T>(into: Map<string, T>, ids: string[], values: Array<string | null>, offset: number): string[] {
  const cold: string[] = [];
  ids.forEach((id, i) => {
    const record = readCached<T>(values[offset + i]);
    if (record) into.set(id, record);
    else cold.push(id);
  });
  return cold;
}

/** A cached "{version}|{json}" value; anything else (an older format, a damaged value) is a miss. */
function readCached<T>(value: string | null | undefined): T | undefined {
  const bar = value ? value.indexOf('|') : -1;
  if (!value || bar <= 0 || !/^\d+$/.test(value.slice(0, bar))) return undefined;
  try {
    return JSON.parse(value.slice(bar + 1)) as T;
  } catch {
    return undefined;
  }
}
