import { describe, expect, it } from 'vitest';
import type { HttpRequest } from './http-types.js';
import { MAX_REFERER_CHARS, MAX_USER_AGENT_CHARS, requestMeta } from './request-meta.js';

const request = (headers: Record<string, string>): HttpRequest => ({ method: 'POST', path: '/track', query: '', headers, body: Buffer.alloc(0), remoteAddress: '198.51.100.7' });

describe('requestMeta', () => {
  it("takes the client's address from Segment's context.ip, else the first hop a proxy named, else the peer", () => {
    expect(requestMeta(request({ 'x-forwarded-for': ' 203.0.113.5 , 10.0.0.1' }), { ip: '2001:db8::1' }).ip).toBe('2001:db8::1');
    expect(requestMeta(request({ 'x-forwarded-for': ' 203.0.113.5 , 10.0.0.1' })).ip).toBe('203.0.113.5');
    expect(requestMeta(request({})).ip).toBe('198.51.100.7');
  });

  it('ignores a named address that cannot be one (over 64 characters): 40 KB of it made Elasticsearch refuse the session', () => {
    const huge = '9'.repeat(40_000);
    expect(requestMeta(request({ 'x-forwarded-for': huge })).ip).toBe('198.51.100.7');
    expect(requestMeta(request({ 'x-forwarded-for': '203.0.113.5' }), { ip: huge }).ip).toBe('203.0.113.5');
    expect(requestMeta(request({ 'x-forwarded-for': '' }), { ip: '   ' }).ip).toBe('198.51.100.7');
  });

  it('cuts a long User-Agent and drops a Referer or Origin too long to be one: each is copied into every event of the request', () => {
    const agent = `Mozilla/5.0 ${'U'.repeat(30_000)}`;
    const meta = requestMeta(request({ 'user-agent': agent, referer: `https://r.example/${'p'.repeat(30_000)}`, origin: `https://${'o'.repeat(3_000)}.example` }));
    expect(meta.userAgent).toBe(agent.slice(0, MAX_USER_AGENT_CHARS));
    expect(meta.referer).toBeUndefined();
    expect(meta.origin).toBeUndefined();
    // Segment's context.userAgent is cut the same way, never in the middle of a surrogate pair.
    const emoji = `${'a'.repeat(MAX_USER_AGENT_CHARS - 1)}\u{1F600}tail`;
    expect(requestMeta(request({}), { userAgent: emoji }).userAgent).toBe('a'.repeat(MAX_USER_AGENT_CHARS - 1));
    // Values within the limits are kept as sent.
    const referer = `https://shop.example/${'p'.repeat(MAX_REFERER_CHARS - 30)}`;
    const kept = requestMeta(request({ 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)', referer, origin: 'https://shop.example' }));
    expect(kept).toMatchObject({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', referer, origin: 'https://shop.example' });
  });
});
