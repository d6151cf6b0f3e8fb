import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stalledBody } from './support/stalled-body.js';
import { engineEnv, startInflow, type TestInflow } from './support/start-inflow.js';

/**
 * The default body deadline against uWebSockets' own idle close (10 s of silence, checked every
 * 4 s, so as early as 8 s): with a deadline as long as that, a stalled request was closed
 * without a word about half the time. Slow by nature (the default deadline is 7 s).
 */
describe('a stalled body with the default deadline', () => {
  let app: TestInflow;
  beforeAll(async () => {
    app = await startInflow(engineEnv('embedded'));
  });
  afterAll(() => app.close());

  it('gets its 408 on every connection, whenever in uWebSockets\u2019 timeout tick it started', async () => {
    const answers: Array<Promise<string>> = [];
    for (let i = 0; i < 5; i++) {
      answers.push(stalledBody(app.publicUrl));
      await new Promise((resolve) => setTimeout(resolve, 900));
    }
    for (const raw of await Promise.all(answers)) {
      expect(raw).toMatch(/^HTTP\/1\.1 408/);
      expect(raw).toContain('"code":"request_timeout"');
    }
  }, 30_000);
});
