import { QueueUnavailableError } from '@inflow/core';
import { authHint, bodySummary } from './pulsar-admin.js';
import { pulsarAuthHeaders, type PulsarToken } from './pulsar-auth.js';

/** A letter as the admin REST "peek" shows it: the broker's position of the message, and its content. */
export interface PeekedLetter {
  ledgerId: string;
  entryId: string;
  key: string;
  data: Buffer;
  properties: Record<string, string>;
}

/** Peeks run this many positions at a time. */
const PARALLEL = 8;

/**
 * Up to `max` messages a subscription has not acknowledged, oldest first, from the `from`th
 * (1-based), through the admin REST peek (one position per call). Peeking changes nothing on
 * the broker, and a message acknowledged before the call is never shown. Empty when the
 * topic or the subscription does not exist.
 */
export async function peekUnacknowledged(webServiceUrl: string, path: string, subscription: string, max: number, from = 1, auth?: PulsarToken): Promise<PeekedLetter[]> {
  const letters: PeekedLetter[] = [];
  for (let position = from; letters.length < max; position += PARALLEL) {
    const count = Math.min(PARALLEL, max - letters.length);
    const batch = await Promise.all(
      Array.from({ length: count }, (_, i) => peek(`${webServiceUrl}/admin/v2/${path}/subscription/${subscription}/position/${position + i}`, auth)),
    );
    for (const letter of batch) {
      if (!letter) return letters;
      letters.push(letter);
    }
  }
  return letters;
}

/** null when there is no message at that position (or no such topic or subscription). */
async function peek(url: string, auth: PulsarToken | undefined): Promise<PeekedLetter | null> {
  let response: Response;
  try {
    response = await fetch(url, { headers: pulsarAuthHeaders(auth), signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new QueueUnavailableError(`pulsar admin did not answer a dead-letter peek: ${(error as Error).message}`, 2, { cause: error });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return null;
  }
  if (!response.ok) {
    const body = await response.text();
    throw new QueueUnavailableError(`pulsar admin peek answered ${response.status}: ${bodySummary(body)}${authHint(response.status, auth, body)}`, 2);
  }
  const [ledgerId = '', entryId = ''] = (response.headers.get('x-pulsar-message-id') ?? '').split(':');
  const rawKey = response.headers.get('x-pulsar-partition-key') ?? '';
  const keyIsBase64 = response.headers.get('x-pulsar-partition-key-b64-encoded') === 'true';
  return {
    ledgerId,
    entryId,
    key: keyIsBase64 ? Buffer.from(rawKey, 'base64').toString('utf8') : rawKey,
    data: Buffer.from(await response.arrayBuffer()),
    properties: parseProperties(response.headers.get('x-pulsar-property')),
  };
}

function parseProperties(header: string | null): Record<string, string> {
  if (!header) return {};
  try {
    const parsed = JSON.parse(header) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}
