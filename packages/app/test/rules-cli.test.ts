import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnInflow, TOKEN, type InflowProcess } from './support/spawn-inflow.js';

describe('inflow rules (the built command line against a running embedded inflow)', () => {
  let inflow: InflowProcess;
  let dir: string;
  let port: string;
  const cli = (...args: string[]) => runCli(['rules', ...args], { INFLOW_DATA_DIR: dir, INFLOW_PRIVATE_PORT: port, INFLOW_API_TOKEN: TOKEN });
  const file = (name: string, content: unknown): string => {
    const at = join(dir, name);
    writeFileSync(at, typeof content === 'string' ? content : JSON.stringify(content));
    return at;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inflow-rules-cli-'));
    inflow = await spawnInflow(dir);
    port = new URL(inflow.privateUrl).port;
  });
  afterAll(async () => {
    inflow.child.kill('SIGTERM');
    await inflow.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists, shows, updates (If-Match from the file), disables, enables and deletes', async () => {
    const spec = {
      id: 'buyers',
      trigger: { eventTypes: ['order-completed'] },
      actions: [
        { type: 'increment', trait: 'purchases' },
        { type: 'add-segment', segment: 'buyer' },
      ],
    };
    expect(await cli('list')).toEqual({ code: 0, output: 'no rules\n' });
    expect(await cli('create', '--file', file('buyers.json', spec))).toEqual({ code: 0, output: 'created rule buyers: enabled, version 1\n' });
    const notify = await cli('create', '--file', file('notify.json', { id: 'notify', trigger: {}, actions: [{ type: 'dispatch', destination: 'crm' }] }));
    expect(notify.code).toBe(0);
    expect(notify.output).toContain('created rule notify: enabled, version 1\n');
    expect(notify.output).toContain('warning: actions.0.destination: destination "crm" does not exist');

    const listed = await cli('list');
    const [header, ...rows] = listed.output.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATE\s+EVENTS\s+ACTIONS\s+VER\s+WARNINGS$/);
    expect(rows[0]).toMatch(/^buyers\s+enabled\s+order-completed\s+increment,add-segment\s+1\s+-$/);
    expect(rows[1]).toMatch(/^notify\s+enabled\s+\*\s+dispatch\s+1\s+destination "crm" does not exist/);
    expect(rows[2]).toBe('2 rules');

    // show → edit → update: the file's version goes as If-Match.
    const shown = JSON.parse((await cli('show', 'buyers')).output) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: 'buyers', version: 1, enabled: true, warnings: [] });
    const edited = file('buyers-edit.json', { ...shown, name: 'Buyers' });
    expect((await cli('update', 'buyers', '--file', edited)).output).toBe('updated rule buyers: enabled, version 2\n');
    const stale = await cli('update', 'buyers', '--file', edited);
    expect(stale.code).toBe(1);
    expect(stale.output).toMatch(/^inflow: PUT \/rules\/buyers failed with 412: rule "buyers" is at version 2, not 1/);
    expect((await cli('update', 'buyers', '--file', edited, '--force')).output).toBe('updated rule buyers: enabled, version 3\n');

    expect((await cli('disable', 'buyers')).output).toBe('disabled rule buyers: disabled, version 4\n');
    expect((await cli('list')).output).toMatch(/\nbuyers\s+disabled\s/);
    expect((await cli('enable', 'buyers')).output).toBe('enabled rule buyers: enabled, version 5\n');
    const json = await cli('disable', 'buyers', '--json');
    expect(JSON.parse(json.output)).toMatchObject({ id: 'buyers', enabled: false, version: 6 });

    expect(await cli('delete', 'buyers')).toEqual({ code: 0, output: 'deleted rule buyers\n' });
    const gone = await cli('show', 'buyers');
    expect(gone.code).toBe(1);
    expect(gone.output).toContain('failed with 404: rule "buyers" does not exist');
  });

  it('prints the API\'s message for a bad definition, and exits 2 on a wrong use', async () => {
    const bad = await cli('create', '--file', file('bad.json', { id: 'bad', trigger: {}, actions: [{ type: 'explode' }] }));
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('failed with 400: actions.0.type: must be one of set-trait');
    for (const args of [[], ['nope'], ['show'], ['enable'], ['disable', 'a', 'b'], ['create'], ['create', '--file', join(dir, 'missing.json')], ['update', 'x', '--file', file('list.json', '[]')], ['list', '--bogus'], ['test', 'x']]) {
      const result = await cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.output, args.join(' ')).toMatch(/^inflow: /);
    }
  });

  it('is listed in inflow --help', async () => {
    const help = await runCli(['--help'], { INFLOW_DATA_DIR: dir });
    expect(help.code).toBe(0);
    expect(help.output).toContain('rules enable ID | disable ID');
  });
});
