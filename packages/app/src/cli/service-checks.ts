import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { shownUrl } from '@inflow/core';

/** Whether a service answered, and how fast or why not. */
export interface ServiceCheck {
  service: string;
  url: string;
  up: boolean;
  /** Round trip in ms when up; the reason when down. */
  detail: string;
}

/** GET `path` of an HTTP service (credentials in the URL go as Basic auth, `given` headers too); any answer but 5xx, 401 and 403 counts as up. */
export async function checkHttp(service: string, base: string, path: string, timeoutMs: number, given: Record<string, string> = {}): Promise<ServiceCheck> {
  const started = Date.now();
  const shown = shownUrl(base);
  try {
    const url = new URL(path, base);
    const headers: Record<string, string> = { ...given };
    if (url.username || url.password) {
      headers['authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    if (response.status >= 500) return { service, url: shown, up: false, detail: `answered ${response.status}` };
    // It answers, but will not let Inflow in: as good as down for Inflow, and the reason is the credentials.
    if (response.status === 401 || response.status === 403) return { service, url: shown, up: false, detail: `answered ${response.status}: credentials missing or refused` };
    return { service, url: shown, up: true, detail: `${Date.now() - started} ms` };
  } catch (error) {
    return { service, url: shown, up: false, detail: reasonOf(error, timeoutMs) };
  }
}

/** PING over a plain (redis://) or TLS (rediss://) socket; a refusal for want of a password still proves Redis answers. */
export function checkRedis(url: string, timeoutMs: number): Promise<ServiceCheck> {
  const started = Date.now();
  const shown = shownUrl(url);
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    const done = (up: boolean, detail: string): void => {
      clearTimeout(timer);
      socket?.destroy();
      resolve({ service: 'redis', url: shown, up, detail });
    };
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    try {
      const parsed = new URL(url);
      const options = { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) };
      socket = parsed.protocol === 'rediss:' ? tlsConnect({ ...options, servername: options.host }) : tcpConnect(options);
    } catch (error) {
      done(false, reasonOf(error, timeoutMs));
      return;
    }
    socket.once('error', (error) => done(false, reasonOf(error, timeoutMs)));
    socket.write('PING\r\n');
    socket.once('data', (data: Buffer) => {
      const reply = data.toString('utf8').trim();
      if (reply.startsWith('+PONG')) done(true, `${Date.now() - started} ms`);
      else if (/^-(NOAUTH|WRONGPASS|ERR.*auth)/i.test(reply)) done(true, `${Date.now() - started} ms (needs a password to do more)`);
      else done(false, `unexpected answer: ${reply.slice(0, 60)}`);
    });
  });
}

function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: string }; code?: string }).cause?.code ?? (error as { code?: string }).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
