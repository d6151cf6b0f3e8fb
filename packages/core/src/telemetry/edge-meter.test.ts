import { describe, expect, it } from 'vitest';
import { Telemetry } from './telemetry.js';

describe("the edge's request outcomes", () => {
  it('counts 2xx as accepted, 503 as unavailable, 499 (client gone before queued) apart, other 4xx and 5xx as refused', async () => {
    const telemetry = new Telemetry({ instance: 'test', roles: ['edge'], metrics: false });
    const edge = telemetry.edge();
    for (const status of [201, 200, 503, 499, 499, 400, 413]) edge.answered(status);
    const text = await telemetry.metrics();
    const count = (outcome: string): number => Number(new RegExp(`inflow_edge_requests_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? -1);
    expect([count('accepted'), count('unavailable'), count('client_gone'), count('refused')]).toEqual([2, 1, 2, 2]);
  });
});
