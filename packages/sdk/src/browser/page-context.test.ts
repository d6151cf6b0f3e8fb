import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkEvent } from '../core/event-check.js';
import { pageContext } from './page-context.js';

function onPage(search: string): void {
  const href = `https://shop.example/landing${search}`;
  vi.stubGlobal('window', { location: { href, pathname: '/landing', search }, screen: { width: 1280, height: 800 }, innerWidth: 1200, innerHeight: 700 });
  vi.stubGlobal('document', { title: 'Landing', referrer: 'https://search.example/' });
}

describe('pageContext', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('names the page, its referrer, the screen and the viewport', () => {
    onPage('?q=shoes');
    expect(pageContext()).toMatchObject({
      page: { url: 'https://shop.example/landing?q=shoes', path: '/landing', title: 'Landing', referrer: 'https://search.example/' },
      screen: { width: 1280, height: 800 },
      viewport: { width: 1200, height: 700 },
    });
  });

  it('leaves the UTM parameters in the address, where the collector reads them', () => {
    onPage('?utm_source=ads&utm_medium=cpc');
    const context = pageContext();
    expect(context).not.toHaveProperty('utm');
    expect(context['page']).toMatchObject({ url: 'https://shop.example/landing?utm_source=ads&utm_medium=cpc' });
  });

  it('passes the edge checks whatever names the address carries', () => {
    onPage(`?utm_=empty&utm___proto__=polluted&utm_${'x'.repeat(300)}=long&utm_a%00b=nul`);
    expect(() => checkEvent({ id: 'e1', type: 'page-view', properties: {}, time: new Date().toISOString() }, pageContext())).not.toThrow();
  });
});
