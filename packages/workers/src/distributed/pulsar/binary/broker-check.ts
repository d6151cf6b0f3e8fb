import { PulsarAdmin } from '../pulsar-admin.js';
import type { PulsarToken } from '../pulsar-auth.js';
import { withTimeout } from '../waits.js';
import { BrokerConnection } from './broker-connection.js';

/**
 * Connects to the broker's binary protocol and completes the handshake (CONNECT, CONNECTED):
 * at `serviceUrl`, or at the address the cluster's metadata gives. Resolves with the address and
 * the round trip; rejects with the reason when the broker cannot be reached in `timeoutMs`.
 */
export async function checkPulsarBroker(webServiceUrl: string, serviceUrl: string | undefined, timeoutMs: number, auth?: PulsarToken): Promise<{ url: string; ms: number }> {
  const started = Date.now();
  const url = serviceUrl ?? (await withTimeout(new PulsarAdmin(webServiceUrl, timeoutMs, auth).brokerServiceUrl(), timeoutMs, `the admin API named no broker within ${timeoutMs} ms`));
  let opening: Promise<BrokerConnection> | undefined;
  try {
    opening = BrokerConnection.open(new URL(url), url, undefined, auth);
    const connection = await withTimeout(opening, timeoutMs, `no handshake within ${timeoutMs} ms`);
    connection.close('checked');
    return { url, ms: Date.now() - started };
  } catch (error) {
    void opening?.then((connection) => connection.close('checked late'), () => undefined);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { url });
  }
}
