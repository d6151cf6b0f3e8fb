import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NormalizedPayload } from '@inflow/protocol';
import type { Envelope } from '@inflow/core';

let counter = 0;

export function envelopeFor(payload: Partial<NormalizedPayload> & { events: NormalizedPayload['events'] }, overrides: Partial<Envelope> = {}): Envelope {
  counter += 1;
  return {
    v: 1,
    id: `req-${counter}`,
    receivedAt: Date.parse('2026-11-23T10:00:00Z') + counter * 1000,
    meta: { ip: '203.0.113.7', userAgent: 'test-agent/1.0' },
    payload: {
      source: { id: 'web' },
      profile: { id: 'p-1' },
      session: { id: 's-1' },
      ...payload,
    },
    ...overrides,
  };
}

/** A temporary folder removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `inflow-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
