import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { QueueUnavailableError, sleep } from '@inflow/core';
import { ProtoWriter } from './binary/protobuf.js';
import { authHint } from './pulsar-admin.js';
import { pulsarAuthHeaders, type PulsarToken } from './pulsar-auth.js';

/** Longest wait for the broker to drop a closed consumer (and so to have applied its acknowledgements). */
const DETACH_WAIT_MS = 5_000;

/**
 * Acknowledges messages by position on a subscription, through a short-lived consumer of the
 * WebSocket API: an acknowledgement names the message id, whether or not this consumer was
 * given the message. Closing waits until the broker has dropped the consumer: the proxy sends
 * a consumer's pending acknowledgements before it closes it, so they are applied by then and
 * a peek no longer shows those messages.
 */
export class KeeperAcks {
  private constructor(
    private readonly socket: WebSocket,
    private readonly statsUrl: string,
    private readonly subscription: string,
    private readonly name: string,
    private readonly auth: PulsarToken | undefined,
  ) {
    socket.on('error', () => undefined);
  }

  static async open(webServiceUrl: string, path: string, subscription: string, auth?: PulsarToken): Promise<KeeperAcks> {
    const name = `inflow-dead-letter-replay-${randomBytes(6).toString('hex')}`;
    // Shared, and at most one message handed to this consumer: it is here to acknowledge, not to read.
    const params = new URLSearchParams({ subscriptionType: 'Shared', receiverQueueSize: '1', consumerName: name });
    const url = `${webServiceUrl.replace(/^http/, 'ws')}/ws/v2/consumer/${path}/${subscription}?${params.toString()}`;
    const socket = await new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000, headers: pulsarAuthHeaders(auth) });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_, response) => {
        ws.terminate();
        reject(new QueueUnavailableError(`cannot acknowledge dead letters: the broker answered ${response.statusCode}${authHint(response.statusCode ?? 0, auth)}`, 2));
      });
      ws.once('error', (error) => reject(new QueueUnavailableError(`cannot acknowledge dead letters: ${error.message}`, 2, { cause: error })));
    });
    return new KeeperAcks(socket, `${webServiceUrl}/admin/v2/${path}/stats`, subscription, name, auth);
  }

  ack(positions: Array<{ ledgerId: string; entryId: string }>): void {
    if (this.socket.readyState !== WebSocket.OPEN) throw new QueueUnavailableError('the dead-letter subscription closed before the acknowledgements', 2);
    for (const { ledgerId, entryId } of positions) this.socket.send(JSON.stringify({ messageId: messageIdData(ledgerId, entryId) }));
  }

  /** Closes and resolves once the broker no longer lists this consumer (at most DETACH_WAIT_MS). */
  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.socket.terminate();
          resolve();
        }, 2_000);
        this.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        this.socket.close();
      });
    }
    const until = Date.now() + DETACH_WAIT_MS;
    while (Date.now() < until && (await this.attached())) await sleep(20);
  }

  private async attached(): Promise<boolean> {
    const response = await fetch(this.statsUrl, { headers: pulsarAuthHeaders(this.auth), signal: AbortSignal.timeout(5_000) }).catch(() => null);
    if (!response?.ok) return false;
    const stats = (await response.json()) as { subscriptions?: Record<string, { consumers?: Array<{ consumerName?: string }> }> };
    return (stats.subscriptions?.[this.subscription]?.consumers ?? []).some((consumer) => consumer.consumerName === this.name);
  }
}

/** Base64 of the MessageIdData protobuf {1: ledgerId, 2: entryId}: the message id the WebSocket API takes. */
export function messageIdData(ledgerId: string, entryId: string): string {
  return new ProtoWriter().uint(1, Number(ledgerId)).uint(2, Number(entryId)).finish().toString('base64');
}
