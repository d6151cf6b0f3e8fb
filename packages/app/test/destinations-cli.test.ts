import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnInflow, TOKEN, type InflowProcess } from './support/spawn-inflow.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

const SECRET = 'Bearer cli-s3cret-9876';

describe('inflow destinations (the built command line against a running embedded inflow)', () => {
  let inflow: InflowProcess;
  let receiver: WebhookReceiver;
  let dir: string;
  let port: string;
  const cli = (...args: string[]) => runCli(['destinations', ...args], { INFLOW_DATA_DIR: dir, INFLOW_PRIVATE_PORT: port, INFLOW_API_TOKEN: TOKEN });
  const file = (name: string, content: unknown): string => {
    const at = join(dir, name);
    writeFileSync(at, typeof content === 'string' ? content : JSON.stringify(content));
    return at;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inflow-dest-cli-'));
    receiver = await startWebhookReceiver();
    inflow = await spawnInflow(dir, { INFLOW_SECRET_CRM_TOKEN: SECRET });
    port = new URL(inflow.privateUrl).port;
  });
  afterAll(async () => {
    inflow.child.kill('SIGTERM');
    await inflow.exited;
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists, shows, updates (If-Match from the file), pauses, resumes, tests and deletes', async () => {
    const spec = {
      id: 'crm',
      webhook: { url: `${receiver.url}/in`, secretHeaders: { authorization: 'crm-token' } },
      trigger: { eventTypes: ['signup'] },
      mapping: { plan: '{{event.properties.plan}}', who: '{{profile.id}}' },
    };
    expect(await cli('list')).toEqual({ code: 0, output: 'no destinations\n' });
    expect(await cli('create', '--file', file('crm.json', spec))).toEqual({ code: 0, output: 'created destination crm: active, version 1, revision 1\n' });
    const unset = await cli('create', '--file', file('audit.json', { ...spec, id: 'audit', webhook: { url: `${receiver.url}/a`, secretHeaders: { 'x-key': 'audit-key' } } }));
    expect(unset.code).toBe(0);
    expect(unset.output).toContain('warning: webhook.secretHeaders.x-key: secret "audit-key" is not configured (set INFLOW_SECRET_AUDIT_KEY');

    const listed = await cli('list');
    const [header, ...rows] = listed.output.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATE\s+WEBHOOK\s+EVENTS\s+REV\s+VER\s+WARNINGS$/);
    expect(rows[0]).toMatch(/^audit\s+active\s+POST http:\/\/127\.0\.0\.1:\d+\/a\s+signup\s+1\s+1\s+secret "audit-key" is not/);
    expect(rows[1]).toMatch(/^crm\s+active\s+POST http:\/\/127\.0\.0\.1:\d+\/in\s+signup\s+1\s+1\s+-$/);
    expect(rows[2]).toBe('2 destinations');

    // show → edit → update: the file's version goes as If-Match.
    const shown = JSON.parse((await cli('show', 'crm')).output) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: 'crm', version: 1, revision: 1, warnings: [] });
    const edited = file('crm-edit.json', { ...shown, name: 'CRM' });
    expect((await cli('update', 'crm', '--file', edited)).output).toBe('updated destination crm: active, version 2, revision 1\n');
    const stale = await cli('update', 'crm', '--file', edited);
    expect(stale.code).toBe(1);
    expect(stale.output).toMatch(/^inflow: PUT \/destinations\/crm failed with 412: destination "crm" is at version 2, not 1/);
    const forced = await cli('update', 'crm', '--file', file('crm-force.json', { ...shown, mapping: { plan: '{{event.properties.plan}}' } }), '--force');
    expect(forced.output).toBe('updated destination crm: active, version 3, revision 2\n');

    expect((await cli('pause', 'crm')).output).toBe('paused destination crm: paused, version 4, revision 2\n');
    expect((await cli('list')).output).toMatch(/\ncrm\s+paused\s/);
    expect((await cli('resume', 'crm')).output).toBe('resumed destination crm: active, version 5, revision 2\n');

    const tested = await cli('test', 'crm', '--file', file('sample.json', { event: { id: 'ev-1', properties: { plan: 'pro' } } }));
    expect(tested.code).toBe(0);
    expect(tested.output).toContain(`POST ${receiver.url}/in\n`);
    expect(tested.output).toContain('authorization: ***\n');
    expect(tested.output).toMatch(/idempotency-key: [0-9a-f]{32}\n/);
    expect(tested.output).toContain('"plan": "pro"');
    expect(tested.output).toContain('→ 200: ');
    expect(tested.output).not.toContain('cli-s3cret');
    const got = receiver.received.at(-1)!;
    expect(JSON.parse(got.body)).toEqual({ plan: 'pro' });
    expect(got.headers['authorization']).toBe(SECRET);
    const notSent = await cli('test', 'audit');
    expect(notSent.code).toBe(1);
    expect(notSent.output).toContain('failed with 400: webhook.secretHeaders.x-key: secret "audit-key" is not configured');

    expect(await cli('delete', 'crm')).toEqual({ code: 0, output: 'deleted destination crm\n' });
    const gone = await cli('show', 'crm');
    expect(gone.code).toBe(1);
    expect(gone.output).toContain('failed with 404: destination "crm" does not exist');
    expect(inflow.output()).not.toContain('cli-s3cret');
  });

  it('shows secrets by name only in inflow config', async () => {
    const config = await runCli(['config'], { INFLOW_DATA_DIR: dir, INFLOW_SECRET_CRM_TOKEN: SECRET });
    expect(config.code).toBe(0);
    expect(config.output).toMatch(/\nsecrets\s+INFLOW_SECRET_<NAME>\s+-\s+CRM_TOKEN \(set\)\n/);
    expect(config.output).not.toContain('cli-s3cret');
  });

  it('prints the API\'s message for a bad definition, and exits 2 on a wrong use', async () => {
    const bad = await cli('create', '--file', file('bad.json', { id: 'bad', webhook: { url: 'not a url' }, trigger: {} }));
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('failed with 400: webhook.url: must be an absolute http or https URL');
    for (const args of [[], ['nope'], ['show'], ['show', 'a', 'b'], ['create'], ['create', '--file', join(dir, 'missing.json')], ['create', '--file', file('list.json', '[]')], ['list', '--bogus']]) {
      const result = await cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.output, args.join(' ')).toMatch(/^inflow: /);
    }
  });
});
