import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';

/** A failed CLI step: the message is shown as it is, the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export const isCliError = (error: unknown): error is CliError => error instanceof CliError;

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface PrivateApiClient {
  readonly url: string;
  /** JSON of a 2xx answer (undefined when it has no body); any other answer or a network failure throws CliError. */
  call<T>(method: ApiMethod, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

/** The private API of the inflow that the loaded config describes (host, port and token); each call gives up after timeoutMs when given. */
export function privateApiClient(config: Config, options: { timeoutMs?: number } = {}): PrivateApiClient {
  const url = `http://${reachableHost(config.privateHost)}:${config.privatePort}`;
  const token = apiToken(config);
  return {
    url,
    async call<T>(method: ApiMethod, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
      let response: Response;
      let text: string;
      try {
        response = await fetch(url + path, {
          method,
          headers: { ...headers, authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? null : JSON.stringify(body),
          signal: options.timeoutMs === undefined ? null : AbortSignal.timeout(options.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new CliError(`cannot reach the private API at ${url} (${reason}); is inflow running with this config?`, 1, { cause: error });
      }
      if (response.status === 401) {
        throw new CliError(`the private API at ${url} refused the token; set INFLOW_API_TOKEN to the token the running inflow uses`, 1);
      }
      if (!response.ok) throw new CliError(`${method} ${path} failed with ${response.status}: ${errorText(text)}`, 1);
      try {
        return (text === '' ? undefined : JSON.parse(text)) as T;
      } catch {
        throw new CliError(`${method} ${path}: the answer from ${url} is not JSON (${errorText(text)}); is this inflow's private port?`, 1);
      }
    },
  };
}

/** The token from the config, or the one inflow keeps in {dataDir}/api-token (see api-token.ts); never made here. */
function apiToken(config: Config): string {
  if (config.apiToken) return config.apiToken;
  const file = join(config.dataDir, 'api-token');
  if (!existsSync(file)) {
    throw new CliError(`no API token: set INFLOW_API_TOKEN (or apiToken in the config file), or run this where ${file} is kept`, 2);
  }
  return readFileSync(file, 'utf8').trim();
}

/** A listener on every interface is reached on loopback. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } };
    return parsed.error?.message ?? body;
  } catch {
    return body;
  }
}
