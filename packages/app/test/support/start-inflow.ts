import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@inflow/core';
import { ALL_ROLES, createInflow, type Inflow } from '../../src/app.js';
import { parseConfig } from '../../src/config/config.js';
import { requiredEnv } from '../../../workers/src/test-support/services.js';
import { checkAnswersFrom } from './checked-fetch.js';

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

export type EngineName = 'embedded' | 'distributed';
export const ENGINES: EngineName[] = ['embedded', 'distributed'];

/** How long a test waits for something to become queryable: Elasticsearch refreshes every second. */
export const SETTLE_MS: Record<EngineName, number> = { embedded: 5_000, distributed: 20_000 };

/**
 * Settings that point an engine at its services, isolated per call: a fresh data folder, and
 * for the distributed engine a Pulsar tenant and index prefix of its own on the shared services.
 */
export function engineEnv(engine: EngineName): Record<string, string> {
  if (engine === 'embedded') return { INFLOW_ENGINE: 'embedded' };
  const unique = `it${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return {
    INFLOW_ENGINE: 'distributed',
    INFLOW_PULSAR_URL: requiredEnv('INFLOW_PULSAR_URL'),
    INFLOW_ELASTICSEARCH_URL: requiredEnv('INFLOW_ELASTICSEARCH_URL'),
    INFLOW_REDIS_URL: requiredEnv('INFLOW_REDIS_URL'),
    // Set when the stack's Pulsar requires authentication (it does by default).
    ...(process.env['INFLOW_PULSAR_TOKEN'] ? { INFLOW_PULSAR_TOKEN: process.env['INFLOW_PULSAR_TOKEN'] } : {}),
    INFLOW_TENANT: unique,
    INFLOW_STORAGE_PREFIX: unique,
    INFLOW_PULSAR_PARTITIONS: '2',
  };
}


/** Starts the whole stack (edge and both workers) on free ports. */
export async function startInflow(env: Record<string, string> = {}, dataDir?: string): Promise<TestInflow> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'inflow-edge-'));
  const config = parseConfig(
    {},
    { INFLOW_DATA_DIR: dir, INFLOW_PUBLIC_PORT: '0', INFLOW_PRIVATE_PORT: '0', INFLOW_WORKER_WAIT_MS: '20', ...env },
  );
  const settleMs = SETTLE_MS[config.engine];
  const logs: string[] = [];
  const inflow = createInflow(config, ALL_ROLES, createLogger({ level: 'debug', format: 'text', sink: (line) => logs.push(line) }));
  await inflow.start();
  const publicUrl = `http://127.0.0.1:${inflow.publicPort}`;
  const privateUrl = `http://127.0.0.1:${inflow.privatePort}`;
  const unchecked = [checkAnswersFrom(publicUrl, 'public'), checkAnswersFrom(privateUrl, 'private')];
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
    async eventually<T>(path: string, done: (body: T) => boolean, ms = settleMs): Promise<T> {
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
      for (const stop of unchecked) stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
