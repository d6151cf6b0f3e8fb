import { readFileSync, statSync } from 'node:fs';

/** How Inflow proves who it is to a Pulsar cluster that requires it: a token (JWT), given or read from a file. */
export interface PulsarAuthOptions {
  token?: string | undefined;
  /** A file holding the token (a mounted Kubernetes secret): read again when it changes, so a rotated token is used from the next connection on. */
  tokenFile?: string | undefined;
}

/**
 * Pulsar's token authentication, for every way Inflow talks to Pulsar: the admin API and the
 * WebSocket API get `Authorization: Bearer <token>`, the binary protocol's CONNECT carries the
 * method `token` and the token, and its AUTH_CHALLENGE (a broker re-checking a connection) is
 * answered with the current token. Each call reads the token as it is now.
 */
export class PulsarToken {
  private cached: { token: string; mtimeMs: number; size: number; ino: number } | undefined;

  private constructor(private readonly source: { token: string } | { file: string }) {}

  /** The token, or undefined when neither a token nor a file is given (a cluster without authentication). */
  static from(options: PulsarAuthOptions): PulsarToken | undefined {
    if (options.token !== undefined && options.tokenFile !== undefined) throw new Error('give the Pulsar token or a file holding it, not both');
    if (options.token !== undefined) return new PulsarToken({ token: checkedToken(options.token, 'the Pulsar token') });
    if (options.tokenFile !== undefined) {
      const token = new PulsarToken({ file: options.tokenFile });
      token.value(); // an unreadable or empty file is a configuration error at start, not an outage later
      return token;
    }
    return undefined;
  }

  /**
   * The token as it is now; a file is read again only when its modification time, size or inode
   * changed. Once a token was read, a file that cannot be read or holds no valid token (gone for
   * a moment, half rewritten while a secret is replaced) leaves the last one in use: the broker
   * says so if it is refused.
   */
  value(): string {
    if ('token' in this.source) return this.source.token;
    const { file } = this.source;
    try {
      const stat = statSync(file);
      const cached = this.cached;
      if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size && cached.ino === stat.ino) return cached.token;
      const token = checkedToken(readFileSync(file, 'utf8'), `the Pulsar token file ${file}`);
      this.cached = { token, mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino };
      return token;
    } catch (error) {
      if (this.cached) return this.cached.token;
      const message = (error as Error).message;
      throw new Error(message.startsWith('the Pulsar token file') ? message : `cannot read the Pulsar token file ${file}: ${message}`);
    }
  }

  /** The header of an admin or WebSocket request. */
  headers(): Record<string, string> {
    return { authorization: `Bearer ${this.value()}` };
  }
}

/** What to do when Pulsar refused to authenticate Inflow: set a token, or check the one given. */
export function credentialsHint(auth: PulsarToken | undefined): string {
  return auth ? 'Pulsar did not accept the token: check INFLOW_PULSAR_TOKEN or INFLOW_PULSAR_TOKEN_FILE' : 'Pulsar requires authentication: set INFLOW_PULSAR_TOKEN or INFLOW_PULSAR_TOKEN_FILE';
}

/** Headers for an HTTP or WebSocket request to Pulsar: none without authentication. */
export function pulsarAuthHeaders(auth: PulsarToken | undefined): Record<string, string> {
  return auth ? auth.headers() : {};
}

/** A token as it may travel in a header: surrounding whitespace (a file's last newline) removed, nothing unprintable inside. */
function checkedToken(raw: string, what: string): string {
  const token = raw.trim();
  if (token === '') throw new Error(`${what} is empty`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error(`${what} holds spaces or characters a header cannot carry`);
  return token;
}
