import { describe, expect, it } from 'vitest';
import { deferredPort, madeOnFirstUse } from './deferred-port.js';

interface Greeter {
  greet(name: string): Promise<string>;
  count(): Promise<number>;
}

class RealGreeter implements Greeter {
  private calls = 0;
  constructor(private readonly greeting: string) {}
  async greet(name: string): Promise<string> {
    this.calls += 1;
    return `${this.greeting}, ${name}`;
  }
  async count(): Promise<number> {
    return this.calls;
  }
}

describe('deferredPort', () => {
  it('makes nothing until a method is called, then calls the adapter\'s own method (with its this) on the one adapter', async () => {
    let made = 0;
    const adapter = madeOnFirstUse(async () => {
      made += 1;
      return new RealGreeter('hello');
    });
    const port = deferredPort<Greeter>({ greet: true, count: true }, adapter.get);
    expect(made).toBe(0);
    expect(adapter.made()).toBeUndefined();
    expect(await Promise.all([port.greet('a'), port.greet('b')])).toEqual(['hello, a', 'hello, b']);
    expect(await port.count()).toBe(2);
    expect(made).toBe(1);
  });

  it('is a plain object with the named methods only: not a thenable, so awaiting it gives the port itself', async () => {
    const port = deferredPort<Greeter>({ greet: true, count: true }, async () => new RealGreeter('hi'));
    expect(Object.keys(port).sort()).toEqual(['count', 'greet']);
    expect('then' in port).toBe(false);
    expect(await Promise.resolve(port)).toBe(port);
  });

  it('passes the adapter\'s failure to the caller', async () => {
    const port = deferredPort<Greeter>({ greet: true, count: true }, () => Promise.reject(new Error('store unavailable')));
    await expect(port.greet('a')).rejects.toThrow('store unavailable');
  });
});

describe('madeOnFirstUse', () => {
  it('keeps a failure for retryAfterMs (no new attempt meanwhile), then tries again and keeps the success', async () => {
    let clock = 1_000;
    let attempts = 0;
    let up = false;
    const made = madeOnFirstUse(
      async () => {
        attempts += 1;
        if (!up) throw new Error(`down (attempt ${attempts})`);
        return attempts;
      },
      500,
      () => clock,
    );
    await expect(made.get()).rejects.toThrow('down (attempt 1)');
    clock += 499;
    await expect(made.get()).rejects.toThrow('down (attempt 1)');
    expect(attempts).toBe(1);
    up = true;
    clock += 1;
    expect(await made.get()).toBe(2);
    clock += 10_000;
    expect(await made.get()).toBe(2);
    expect(attempts).toBe(2);
  });

  it('shares one attempt between callers that ask while it runs', async () => {
    let attempts = 0;
    let open: (value: string) => void = () => undefined;
    const made = madeOnFirstUse(() => {
      attempts += 1;
      return new Promise<string>((resolve) => (open = resolve));
    });
    const first = made.get();
    const second = made.get();
    open('ready');
    expect(await Promise.all([first, second])).toEqual(['ready', 'ready']);
    expect(attempts).toBe(1);
  });
});
