import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the receiver does with the n-th request it gets (1-based): answer, or hang past the sender's timeout. */
export type Misbehaviour = (n: number, request: IncomingMessage) => { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface Delivery {
  key: string;
  body: Record<string, unknown>;
}

export interface MisbehavingReceiver {
  url: string;
  /** Every request, in arrival order, with its answer status (0: hung up on). */
  requests: Array<{ key: string; status: number }>;
  /**
   * What the application behind the receiver saw: each Idempotency-Key once, at the first
   * request the receiver answered 2xx, in that order (a receiver that honours the key).
   */
  applied: Delivery[];
  close(): Promise<void>;
}

/** A real HTTP receiver for dispatch tests that fails on purpose, and dedupes by Idempotency-Key as a receiver should. */
export async function startMisbehavingReceiver(misbehave: Misbehaviour, port = 0): Promise<MisbehavingReceiver> {
  const requests: MisbehavingReceiver['requests'] = [];
  const applied: Delivery[] = [];
  const seen = new Set<string>();
  let count = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const key = String(request.headers['idempotency-key'] ?? '');
      const behaviour = misbehave(++count, request);
      if (behaviour === 'hang') {
        requests.push({ key, status: 0 });
        setTimeout(() => response.destroy(), 5_000).unref();
        return;
      }
      const answer = (): void => {
        requests.push({ key, status: behaviour.status });
        if (behaviour.status >= 200 && behaviour.status < 300 && !seen.has(key)) {
          seen.add(key);
          applied.push({ key, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        }
        response.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
        response.end('{}');
      };
      if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
      else answer();
    });
  });
  // `port`: the one a receiver that went down had, so that it comes back where its senders look.
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    applied,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
