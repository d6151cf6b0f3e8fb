import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, engineEnv, SETTLE_MS, startInflow, type TestInflow } from './support/start-inflow.js';

/**
 * Seeded random requests, mostly well formed with hostile parts mixed in (the values and keys
 * that broke the edge or the private API before: objects with their own toString, __proto__,
 * ids longer than any store keeps, names that are not topic names…). Whatever they are: never a
 * 5xx, every answer as the OpenAPI documents say, no ERROR line, and nothing the edge accepted
 * ends in the dead letters. The seed is fixed, so a failure here replays exactly; the corpus in
 * hostile-input.test.ts names single cases.
 */
const SEED = 20261130;
const REQUESTS = { public: 400, private: 300 };
const SOURCE = 'random-requests';

/** mulberry32: a small seeded generator. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_TEXT = ['', 'a', '__proto__', 'constructor', 'toString', 'valueOf', 'a.b', '$x', ' ', '\u0000', '\ud800', '😀', 'x'.repeat(200), 'x'.repeat(5_000), '1e999', '..', '_id', '*', '%ZZ', '2026-13-40'];

class RandomJson {
  constructor(readonly random: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  /** `good` most of the time, otherwise any JSON value (a hostile one, often). */
  maybe<T>(good: T, p = 0.9): T | unknown {
    return this.chance(p) ? good : this.value(1);
  }

  value(depth: number): unknown {
    const r = this.random();
    if (depth > 3 || r < 0.5) return this.pick([() => this.pick(HOSTILE_TEXT), () => this.random() * 1e6, () => 1e308, () => true, () => null, () => -1])();
    if (r < 0.7) return Array.from({ length: Math.floor(this.random() * 4) }, () => this.value(depth + 1));
    if (r < 0.8) return { toString: this.value(depth + 1), valueOf: 1 };
    return this.object(depth + 1);
  }

  object(depth = 1): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = Math.floor(this.random() * 5); i > 0; i--) out[this.chance(0.7) ? `k${Math.floor(this.random() * 20)}` : this.pick(HOSTILE_TEXT).slice(0, 300)] = this.value(depth);
    return out;
  }

  trackBody(n: number): unknown {
    const events = Array.from({ length: Math.floor(this.random() * 4) }, (_, j) =>
      this.maybe({
        id: this.maybe(`e-${n}-${j}`),
        type: this.maybe(this.pick(['page-view', 'signup', 'purchase'])),
        time: this.maybe(this.pick([new Date().toISOString(), Date.now(), { create: Date.now() }])),
        properties: this.maybe(this.object()),
        ...(this.chance(0.3) ? { context: this.maybe(this.object()) } : {}),
      }),
    );
    return {
      source: this.maybe({ id: SOURCE }, 0.97),
      profile: this.maybe({ id: this.maybe(`p-${Math.floor(this.random() * 5)}`) }),
      session: this.maybe({ id: this.maybe(`s-${Math.floor(this.random() * 5)}`) }),
      ...(this.chance(0.5) ? { context: this.maybe({ page: { url: `https://shop.test/p?utm_source=${this.pick(HOSTILE_TEXT)}` }, ...this.object() }) } : {}),
      events: this.maybe(events, 0.95),
      options: this.maybe({ queue: this.chance(0.6) }),
    };
  }

  segmentBody(n: number): unknown {
    const message = (i: number) =>
      this.maybe({
        type: this.maybe(this.pick(['track', 'identify', 'page', 'screen', 'group', 'alias'])),
        event: this.maybe('Signed Up'),
        userId: this.maybe(this.pick(['u1', 'u2', 7])),
        messageId: this.maybe(`m-${n}-${i}`),
        timestamp: this.maybe(new Date().toISOString()),
        properties: this.maybe(this.object()),
        traits: this.maybe(this.object()),
        context: this.maybe(this.object()),
        previousId: 'u0',
        groupId: 'g1',
      });
    return { batch: this.maybe(Array.from({ length: 1 + Math.floor(this.random() * 3) }, (_, i) => message(i)), 0.95), writeKey: SOURCE, sentAt: new Date().toISOString() };
  }
}

const PRIVATE_PATHS = ['/profiles/ID', '/profiles/ID/events', '/profiles/ID/sessions', '/profiles/ID/trace', '/sessions/ID', '/sessions/ID/events', '/events/ID', '/events/ID/trace', '/requests/ID/trace', '/sources/ID', '/destinations/ID', '/rules/ID', '/queue/ID/ID/backlog', '/schedules?profile=ID', '/events?limit=ID', '/dead-letters?limit=ID', '/sources', '/destinations', '/rules', '/dead-letters/replay'];
const PRIVATE_IDS = ['x', 'p-1', '%ZZ', '%00', '..%2F..%2Fadmin', '%F0%9F%98%80', 'a'.repeat(5_000), '%ED%A0%80', '__proto__', 'constructor', '*', '%3F', '%23', '%20', '-1', '1e309'];
const PRIVATE_BODIES = ['{}', '[', '"x"', '{"id":"x-1"}', '{"name":{"toString":1}}', '{"ids":["1",{"toString":1}]}', '{"id":"r-1","trigger":{"eventTypes":[{"valueOf":1}]},"actions":[]}', '{"enabled":true}'];

describe.each(ENGINES)('random requests on the %s engine', (engine) => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow({ ...engineEnv(engine), INFLOW_SERVE_DEMO: 'false' });
    expect((await app.api('/sources', { method: 'POST', body: JSON.stringify({ id: SOURCE }) })).status).toBe(201);
  });
  afterAll(() => app?.close());

  it('answers every random /track and Segment body below 500, and dead-letters nothing it accepted', async () => {
    const random = new RandomJson(generator(SEED));
    const answers = new Map<number, number>();
    const failures: string[] = [];
    for (let n = 0; n < REQUESTS.public; n++) {
      const kind = random.random();
      const [path, body] = kind < 0.6 ? ['/track', random.trackBody(n)] : kind < 0.9 ? ['/v1/batch', random.segmentBody(n)] : [`/v1/${random.pick(['track', 'identify', 'page', 'alias'])}`, (random.segmentBody(n) as { batch: unknown[] }).batch?.[0]];
      const text = JSON.stringify(body) ?? 'null';
      const response = await fetch(`${app.publicUrl}${path}`, { method: 'POST', headers: { 'content-type': random.pick(['application/json', 'text/plain']) }, body: text }).catch((error: unknown) => {
        failures.push(`${path} ${text.slice(0, 300)}: ${String(error).slice(0, 400)}`);
        return undefined;
      });
      if (!response) continue;
      answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
      if (response.status >= 500) failures.push(`${response.status} ${path} ${text.slice(0, 300)} → ${(await response.text()).slice(0, 200)}`);
      else await response.arrayBuffer();
    }
    expect(failures).toEqual([]);
    // The mix is mostly accepted: the hostile parts must not make every request a refusal.
    const accepted = (answers.get(200) ?? 0) + (answers.get(201) ?? 0);
    expect(accepted).toBeGreaterThan(REQUESTS.public / 4);
    await new Promise((resolve) => setTimeout(resolve, engine === 'embedded' ? 1_000 : 3_000));
    const deadLetters = await app.eventually<{ deadLetters: unknown[] }>('/dead-letters', () => true, SETTLE_MS[engine]);
    expect(deadLetters.deadLetters).toEqual([]);
    expect(app.logs.filter((line) => / ERROR /.test(line))).toEqual([]);
  });

  it('answers every random private API call below 500', async () => {
    const random = new RandomJson(generator(SEED + 1));
    const failures: string[] = [];
    for (let n = 0; n < REQUESTS.private; n++) {
      const path = random.pick(PRIVATE_PATHS).replace(/ID/g, () => random.pick(PRIVATE_IDS));
      const method = random.pick(['GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
      const body = method === 'GET' || method === 'DELETE' ? undefined : random.pick(PRIVATE_BODIES);
      // Every answer is also checked against the OpenAPI document (start-inflow.ts): a mismatch throws.
      const response = await app.api(path, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) }).catch((error: unknown) => {
        failures.push(`${method} ${path.slice(0, 120)} ${body ?? ''}: ${String(error).slice(0, 400)}`);
        return undefined;
      });
      if (!response) continue;
      if (response.status >= 500) failures.push(`${response.status} ${method} ${path.slice(0, 120)} ${body ?? ''} → ${(await response.text()).slice(0, 200)}`);
      else await response.arrayBuffer();
    }
    expect(failures).toEqual([]);
    expect(app.logs.filter((line) => / ERROR /.test(line))).toEqual([]);
  });
});
