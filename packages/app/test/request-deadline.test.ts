import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const url = new URL(app.publicUrl);
    const stalled = (): Promise<string> => {
      const socket = connect(Number(url.port), url.hostname);
      const answer = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
      socket.write('POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"source":');
      return answer;
    };
    const answers: Array<Promise<string>> = [];
    for (let i = 0; i < 5; i++) {
      answers.push(stalled());
      await new Promise((resolve) => setTimeout(resolve, 900));
    }
    for (const raw of await Promise.all(answers)) {
      expect(raw).toMatch(/^HTTP\/1\.1 408/);
      expect(raw).toContain('"code":"request_timeout"');
    }
  }, 30_000);
});
