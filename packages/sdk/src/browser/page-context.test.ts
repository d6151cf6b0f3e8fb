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

  it('takes the UTM parameters of the address', () => {
    onPage('?utm_source=ads&utm_medium=cpc&other=1');
    expect(pageContext()).toMatchObject({ page: { path: '/landing', title: 'Landing', referrer: 'https://search.example/' }, utm: { source: 'ads', medium: 'cpc' } });
  });

  it('has no utm entry without a UTM parameter', () => {
    onPage('?q=shoes');
    expect(pageContext()).not.toHaveProperty('utm');
  });

  it('leaves out UTM names an event may not carry, so that a link cannot make every event of a page invalid', () => {
    const long = 'x'.repeat(300);
    onPage(`?utm_=empty&utm___proto__=polluted&utm_${long}=long&utm_a%00b=nul&utm_campaign=${long}&utm_source=ok`);
    const context = pageContext();
    expect(context['utm']).toEqual({ campaign: long, source: 'ok' });
    // The whole context passes the tracker's own checks (the edge's limits).
    expect(() => checkEvent({ id: 'e1', type: 'page-view', properties: {}, time: new Date().toISOString() }, context)).not.toThrow();
  });
});
