import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const sdk = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));

/** A TypeScript app written as a user would, against the published types only (the sdk's `files`, no devDependencies). */
const consumer = `
import { createTracker, autocapture, crossDomainLinking, localStorageStore, type InvalidEventError } from '@inflow/sdk';
import { createNodeTracker, type DrainResult } from '@inflow/sdk/node';

interface ShopEvents {
  signup: { plan: 'free' | 'pro' };
  'add-to-cart': { sku: string; quantity?: number };
  'page-ping': { seconds?: number };
}

const tracker = createTracker<ShopEvents>({
  endpoint: 'https://collect.example.com',
  sourceId: 'web',
  store: localStorageStore('web'),
  consentRequired: true,
  beforeSend: (event) => (event.type === 'secret' ? null : event),
  onDrop: (events, reason) => console.warn(events.length, reason),
  plugins: [autocapture({ forms: false }), crossDomainLinking({ domains: ['shop.example'] })],
});
void tracker.track('signup', { plan: 'pro' });
void tracker.track('add-to-cart', { sku: 'SKU-1' }, { category: 'marketing' });
void tracker.track('page-ping');
// @ts-expect-error: not an event of the map
void tracker.track('sign-up', { plan: 'pro' });
// @ts-expect-error: a plan the map does not allow
void tracker.track('signup', { plan: 'gold' });
// @ts-expect-error: the properties are required for this event
void tracker.track('signup');
tracker.consent({ analytics: true, marketing: false });
tracker.register({ app: 'shop' });
tracker.ready(() => undefined);
void tracker.group('acme', { seats: 5 }).catch((error: InvalidEventError) => error.code);

const untyped = createTracker({ endpoint: '/', sourceId: 'web' });
void untyped.track('anything', { at: 1 });

const server = createNodeTracker({ endpoint: 'http://127.0.0.1:8686', sourceId: 'api' });
server.track({ profileId: 'p-1', type: 'order-completed', properties: { total: 10 } });
const result: Promise<DrainResult> = server.close({ timeoutMs: 5000 });
void result.then(({ sent, pending, dropped }) => sent + pending + dropped);
`;

describe('the published types', () => {
  it('compile in a fresh strict TypeScript project that has only the package, and type-check events against an event map', async () => {
    const app = mkdtempSync(join(tmpdir(), 'inflow-consumer-'));
    try {
      const installed = join(app, 'node_modules', '@inflow', 'sdk');
      mkdirSync(installed, { recursive: true });
      cpSync(join(sdk, 'package.json'), join(installed, 'package.json'));
      cpSync(join(sdk, 'build'), join(installed, 'build'), { recursive: true, filter: (path) => !path.endsWith('.js') && !path.endsWith('.tsbuildinfo') });
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
      writeFileSync(join(app, 'app.ts'), consumer);
      const compilerOptions = { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: false };
      writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts'] }));
      const run = await promisify(execFile)(process.execPath, [tsc, '-p', app], { cwd: app }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(run).toBe('');
      const declarations = readFileSync(join(installed, 'build', 'core', 'wire.d.ts'), 'utf8');
      expect(declarations).not.toMatch(/from '@inflow\/protocol/);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  }, 60_000);
});
