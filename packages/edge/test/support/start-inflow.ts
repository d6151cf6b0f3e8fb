import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@inflow/workers';
import { ALL_ROLES, createInflow, type Inflow } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';

export interface TestInflow {
  inflow: Inflow;
  dataDir: string;
  logs: string[];
  publicUrl: string;
  privateUrl: string;
  /** POST /track with a JSON body (a string is sent as it is). */
  track(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Authorised call to the private API. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** JSON of an authorised GET that must answer 200 within `ms` (polls until then). */
  eventually<T>(path: string, done: (body: T) => boolean, ms?: number): Promise<T>;
  close(): Promise<void>;
}

/** Starts the whole embedded stack on free ports in a temporary data folder. */
export async function startInflow(env: Record<string, string> = {}, dataDir?: string): Promise<TestInflow> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'inflow-edge-'));
  const config = parseConfig(
    {},
    { INFLOW_DATA_DIR: dir, INFLOW_PUBLIC_PORT: '0', INFLOW_PRIVATE_PORT: '0', INFLOW_WORKER_WAIT_MS: '20', ...env },
  );
  const logs: string[] = [];
  const inflow = createInflow(config, ALL_ROLES, createLogger({ level: 'debug', format: 'text', sink: (line) => logs.push(line) }));
  await inflow.start();
  const publicUrl = `http://127.0.0.1:${inflow.publicPort}`;
  const privateUrl = `http://127.0.0.1:${inflow.privatePort}`;
  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(privateUrl + path, { ...init, headers: { authorization: `Bearer ${inflow.apiToken}`, ...init.headers } });
  return {
    inflow,
    dataDir: dir,
    logs,
    publicUrl,
    privateUrl,
    track: (body, headers = {}) =>
      fetch(`${publicUrl}/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    api,
    async eventually<T>(path: string, done: (body: T) => boolean, ms = 5000): Promise<T> {
      const until = Date.now() + ms;
      let last: unknown;
      while (Date.now() < until) {
        const response = await api(path);
        last = response.status === 200 ? await response.json() : `status ${response.status}`;
        if (response.status === 200 && done(last as T)) return last as T;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`${path} did not reach the expected state within ${ms} ms; last answer: ${JSON.stringify(last)}`);
    },
    async close() {
      await inflow.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
