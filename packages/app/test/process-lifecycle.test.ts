import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnInflow, waitFor, type InflowProcess } from './support/spawn-inflow.js';

const dirs: string[] = [];
const processes: InflowProcess[] = [];
afterEach(() => {
  for (const p of processes.splice(0)) p.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inflow-proc-'));
  dirs.push(dir);
  return dir;
}

async function start(dir: string, env: Record<string, string> = {}): Promise<InflowProcess> {
  const p = await spawnInflow(dir, env);
  processes.push(p);
  return p;
}

function queued(i: number): string {
  return JSON.stringify({
    source: { id: 'demo' },
    profile: { id: `crash-p-${i % 10}` },
    session: { id: `crash-s-${i % 10}` },
    events: [{ id: `crash-e-${i}`, type: 'page-view', properties: { i } }],
    options: { queue: true },
  });
}

describe('the inflow process', () => {
  it('loses nothing that was answered 201, and counts nothing twice, when it is killed (SIGKILL) under load and restarted', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const accepted: number[] = [];
    let sent = 0;
    const sender = async (): Promise<void> => {
      while (sent < 2000) {
        const i = sent++;
        try {
          const response = await fetch(`${first.publicUrl}/track`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: queued(i) });
          if (response.status === 201) accepted.push(i);
        } catch {
          return; // the process is gone: this request was never answered 201
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    await waitFor(() => accepted.length >= 300, 20_000);
    first.child.kill('SIGKILL');
    await Promise.all(senders);
    expect(await first.exited).toBe('SIGKILL');
    expect(accepted.length).toBeGreaterThanOrEqual(300);

    const second = await start(dir);
    await waitFor(async () => ((await (await second.api('/queue/collector/payloads/backlog')).json()) as { total: number }).total === 0, 30_000);
    const missing: number[] = [];
    for (const i of accepted) {
      if ((await second.api(`/events/crash-e-${i}`)).status !== 200) missing.push(i);
    }
    expect(missing).toEqual([]);
    // Exactly once: each profile counts the events it has stored, no more (a message stored and
    // not yet acknowledged at the kill is delivered again, and must not count twice).
    for (let p = 0; p < 10; p++) {
      const profile = (await (await second.api(`/profiles/crash-p-${p}`)).json()) as { eventCount: number };
      const stored = (await (await second.api(`/profiles/crash-p-${p}/events?limit=1000`)).json()) as { events: unknown[] };
      expect([p, profile.eventCount]).toEqual([p, stored.events.length]);
    }
  }, 90_000);

  it('on SIGTERM turns readiness to 503, finishes in-flight requests, flushes and exits 0', async () => {
    const p = await start(dataDir(), { INFLOW_DRAIN_DELAY_MS: '300' });
    const url = new URL(p.publicUrl);
    const body = queued(1);
    const socket = connect(Number(url.port), url.hostname);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    socket.write(`POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));

    p.child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${p.publicUrl}/readyz`).catch(() => null))?.status === 503, 2000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // past the drain delay: the listener is closed now
    socket.write(body.slice(10)); // the rest of the body; the server closes after answering (Connection: close)
    expect(await answer).toMatch(/^HTTP\/1\.1 201/);
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('shutdown complete');
  }, 20_000);

  it.each(['uws', 'node'])("logs the HTTP server's own refusals (413 before the body, 408) in the edge's intake line, by ingestion route (%s)", async (server) => {
    const p = await start(dataDir(), { INFLOW_REQUEST_TIMEOUT_MS: '300', INFLOW_HTTP_SERVER: server });
    const url = new URL(p.publicUrl);
    const raw = (head: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(Number(url.port), url.hostname);
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        socket.write(head);
      });
    // Declared over the body limit: refused without keeping any of it, answered once the body came or, as here, at its deadline.
    expect(await raw('POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5000000\r\n\r\n{')).toMatch(/^HTTP\/1\.1 413/);
    // A body that stops coming: the body deadline's 408.
    expect(await raw('POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{')).toMatch(/^HTTP\/1\.1 408/);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/WARN +edge +Edge: requests 2, accepted 0, refused 2, unavailable 0: .*\/track 413 payload_too_large ×1/);
    expect(p.output()).toMatch(/Edge: requests 2, .*\/v1\/batch 408 request_timeout ×1/);
  }, 20_000);

  it('refuses to start on the pure-JS uWebSockets.js fallback unless told to', async () => {
    const refused = await runCli(['run'], { UWS_USE_FALLBACK: '1', INFLOW_DATA_DIR: dataDir(), INFLOW_PUBLIC_PORT: '0', INFLOW_PRIVATE_PORT: '0' });
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('INFLOW_ALLOW_UWS_FALLBACK=1');
    const allowed = await start(dataDir(), { UWS_USE_FALLBACK: '1', INFLOW_ALLOW_UWS_FALLBACK: '1' });
    expect(allowed.output()).toContain('pure-JS fallback');
    allowed.child.kill('SIGTERM');
    expect(await allowed.exited).toBe(0);
  }, 20_000);

  it('names the bad setting when the configuration is wrong', async () => {
    const bad = await runCli(['run'], { INFLOW_PUBLIC_PORT: 'eighty', INFLOW_DATA_DIR: dataDir() });
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('INFLOW_PUBLIC_PORT');
    expect(bad.output).toContain('"eighty"');
    const unknown = await runCli(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('unknown command "frobnicate"');
  });
});
