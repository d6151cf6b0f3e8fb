import { describe, expect, it } from 'vitest';
import type { HttpReply, HttpRequest } from './http-types.js';
import { Router } from './router.js';

const request = (method: string, path: string): HttpRequest => ({ method, path, query: '', headers: {}, body: Buffer.alloc(0), remoteAddress: '' });
const reply = (body: string): HttpReply => ({ status: 200, body });
const bodyOf = async (router: Router, method: string, path: string): Promise<string> => String((await router.handle(request(method, path))).body);

describe('Router', () => {
  const router = new Router()
    .on('GET', '/spa/*', () => reply('spa'))
    .on('GET', '/spa/about', () => reply('about (shadowed by /spa/*)'))
    .on('POST', '/track', () => reply('track'))
    .on('GET', '/sources/:id', (_, { id }) => reply(`source ${id}`))
    .on('GET', '/sources/new', () => reply('new (shadowed by /sources/:id)'))
    .on('POST', '/sources/new', () => reply('create'));

  it('answers the first route that matches, literal paths included', async () => {
    expect(await bodyOf(router, 'POST', '/track')).toBe('track');
    expect(await bodyOf(router, 'POST', '/track/')).toBe('track');
    expect(await bodyOf(router, 'GET', '/spa/about')).toBe('spa');
    expect(await bodyOf(router, 'GET', '/sources/new')).toBe('source new');
    expect(await bodyOf(router, 'POST', '/sources/new')).toBe('create');
    expect(await bodyOf(router, 'GET', '/sources/a%20b')).toBe('source a b');
  });

  it('answers 405 with the methods the path allows, and 404 for unknown paths', async () => {
    const wrongMethod = await router.handle(request('GET', '/track'));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers?.['allow']).toBe('POST');
    expect((await router.handle(request('POST', '/nowhere'))).status).toBe(404);
  });

  it('answers 400 to a parameter that is not valid percent-encoded UTF-8, and 405 to another method there', async () => {
    for (const path of ['/sources/%ZZ', '/sources/%ED%A0%80', '/sources/%']) {
      const answer = await router.handle(request('GET', path));
      expect(answer.status, path).toBe(400);
      expect(JSON.parse(String(answer.body))).toMatchObject({ error: { code: 'malformed_path' } });
    }
    const other = await router.handle(request('DELETE', '/sources/%ZZ'));
    expect(other.status).toBe(405);
    expect(other.headers?.['allow']).toBe('GET, HEAD');
  });

  it("answers HEAD with GET's handler, and names HEAD among the methods a GET path allows", async () => {
    expect(await bodyOf(router, 'HEAD', '/sources/a')).toBe('source a');
    expect(await bodyOf(router, 'HEAD', '/spa/')).toBe('spa');
    expect((await router.handle(request('HEAD', '/track'))).status).toBe(405);
    const onlyGet = await router.handle(request('DELETE', '/spa/x'));
    expect(onlyGet.headers?.['allow']).toBe('GET, HEAD');
  });

  it('turns a handler that throws into a rejected promise', async () => {
    const throwing = new Router().on('POST', '/track', () => {
      throw new Error('boom');
    });
    await expect(throwing.handle(request('POST', '/track'))).rejects.toThrow('boom');
  });
});
