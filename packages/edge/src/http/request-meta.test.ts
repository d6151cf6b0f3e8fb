import { describe, expect, it } from 'vitest';
import type { HttpRequest } from './http-types.js';
import { requestMeta } from './request-meta.js';

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
});
