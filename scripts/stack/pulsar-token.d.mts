/** The test stack's Pulsar token signing key (HS256). */
export const PULSAR_TOKEN_KEY: Buffer;
/** An HS256 token with these claims (`sub`: the role; `exp`: seconds since the epoch when it expires). */
export function signPulsarToken(claims: { sub: string; exp?: number }): string;
