// Tokens for the test stack's Pulsar, which requires token authentication (services.mjs).
import { createHash, createHmac } from 'node:crypto';

/**
 * The stack's signing key. It is fixed: the stack listens on loopback only and holds test data,
 * and tests sign tokens of their own with it (one that expires, to see the broker ask again).
 */
export const PULSAR_TOKEN_KEY = createHash('sha256').update('inflow test stack: pulsar token signing key').digest();

/** An HS256 token with these claims, as `pulsar tokens create --secret-key ... --subject <sub>` makes. */
export function signPulsarToken(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', PULSAR_TOKEN_KEY).update(unsigned).digest('base64url')}`;
}
