import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pulsarAuthHeaders, PulsarToken } from './pulsar-auth.js';

const dir = mkdtempSync(join(tmpdir(), 'inflow-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PulsarToken', () => {
  it('is absent without a token or a file, so no header is sent', () => {
    expect(PulsarToken.from({})).toBeUndefined();
    expect(pulsarAuthHeaders(undefined)).toEqual({});
  });

  it('gives the token as a bearer header, without the whitespace around it', () => {
    const token = PulsarToken.from({ token: '  abc.def.ghi\n' });
    expect(token?.value()).toBe('abc.def.ghi');
    expect(pulsarAuthHeaders(token)).toEqual({ authorization: 'Bearer abc.def.ghi' });
  });

  it('refuses both a token and a file, an empty token, and one a header cannot carry', () => {
    expect(() => PulsarToken.from({ token: 'a', tokenFile: '/x' })).toThrow('not both');
    expect(() => PulsarToken.from({ token: '  \n' })).toThrow('the Pulsar token is empty');
    expect(() => PulsarToken.from({ token: 'abc def' })).toThrow('spaces or characters a header cannot carry');
    expect(() => PulsarToken.from({ token: 'abc\r\nx-injected: 1' })).toThrow('a header cannot carry');
  });

  it('reads a file at start (a missing or empty one is an error then), and again once it changed', () => {
    expect(() => PulsarToken.from({ tokenFile: join(dir, 'missing') })).toThrow(/cannot read the Pulsar token file .*missing/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => PulsarToken.from({ tokenFile: empty })).toThrow(/token file .*empty is empty/);

    const file = join(dir, 'token');
    writeFileSync(file, 'first.token\n');
    const token = PulsarToken.from({ tokenFile: file });
    expect(token?.value()).toBe('first.token');
    writeFileSync(file, 'second.token.x\n');
    // A change of size or modification time is seen at the next read (a replaced secret).
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(token?.value()).toBe('second.token.x');
  });

  it('keeps the last token read while the file is away or half written (a secret being replaced)', () => {
    const file = join(dir, 'rotating');
    writeFileSync(file, 'kept.token');
    const token = PulsarToken.from({ tokenFile: file });
    rmSync(file);
    expect(token?.value()).toBe('kept.token');
    writeFileSync(file, '');
    expect(token?.value()).toBe('kept.token');
    writeFileSync(file, 'next.token\n');
    expect(token?.value()).toBe('next.token');
  });
});
