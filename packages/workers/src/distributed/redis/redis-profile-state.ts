import type { Redis } from 'ioredis';
import { StateConflictError } from '../../errors.js';
import type { ProfileState } from '../../ports/profile-state.js';
import type { RecordStore } from '../../ports/store.js';
import type { ProfileRecord, SessionRecord } from '../../records/records.js';

export interface RedisProfileStateOptions {
  redis: Redis;
  /** Cold reads (a profile not in Redis) go to the store. */
  store: RecordStore;
  keyPrefix: string;
  /** How long an untouched profile stays hot. */
  profileTtlSeconds: number;
  sessionTtlSeconds: number;
}

// Writes profile and session together, only if each is newer than what Redis holds:
// a collector that read an old copy (another worker moved on) gets a conflict and retries.
const PUT_IF_NEWER = `
for i = 1, 2 do
  local current = redis.call('GET', KEYS[i])
  if current then
    local version = tonumber(cjson.decode(current)['version'])
    if version and version >= tonumber(ARGV[i * 2]) then return i end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[5])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[6])
return 0`;

/**
 * The distributed collector's working state. Policy: Redis holds the newest profile and
 * session (write-through from the collector, with a TTL); Elasticsearch gets the same records
 * through the storage topic moments later. A profile missing from Redis is read from
 * Elasticsearch once and then lives in Redis again.
 */
export class RedisProfileState implements ProfileState {
  constructor(private readonly options: RedisProfileStateOptions) {}

  async getProfile(id: string): Promise<ProfileRecord | null> {
    const hot = await this.options.redis.get(this.key('profile', id));
    return hot ? (JSON.parse(hot) as ProfileRecord) : this.options.store.getProfile(id);
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const hot = await this.options.redis.get(this.key('session', id));
    return hot ? (JSON.parse(hot) as SessionRecord) : this.options.store.getSession(id);
  }

  async put(profile: ProfileRecord, session: SessionRecord): Promise<void> {
    const { redis, profileTtlSeconds, sessionTtlSeconds } = this.options;
    const verdict = (await redis.eval(
      PUT_IF_NEWER,
      2,
      this.key('profile', profile.id),
      this.key('session', session.id),
      JSON.stringify(profile),
      String(profile.version),
      JSON.stringify(session),
      String(session.version),
      String(profileTtlSeconds),
      String(sessionTtlSeconds),
    )) as number;
    if (verdict === 1) throw new StateConflictError(`profile ${profile.id}`);
    if (verdict === 2) throw new StateConflictError(`session ${session.id}`);
  }

  private key(kind: 'profile' | 'session', id: string): string {
    return `${this.options.keyPrefix}:${kind}:${id}`;
  }
}
