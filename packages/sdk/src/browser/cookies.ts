import { doc } from './env.js';

export function readCookie(name: string): string | undefined {
  const match = doc()?.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  return match ? decodeURIComponent(match[1] as string) : undefined;
}

export function writeCookie(name: string, value: string, maxAgeSeconds: number, domain?: string): void {
  const d = doc();
  if (d) d.cookie = `${name}=${encodeURIComponent(value)}; Max-Age=${maxAgeSeconds}; Path=/; SameSite=Lax${domain ? `; Domain=${domain}` : ''}${d.location?.protocol === 'https:' ? '; Secure' : ''}`;
}
