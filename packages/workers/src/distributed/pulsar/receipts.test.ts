import { isQueueUnavailable } from '@inflow/core';
import { describe, expect, it } from 'vitest';
import { Receipts } from './receipts.js';

type Outcome = 'pending' | 'ok' | string;

/** Sends `key` through `receipts` and follows its outcome: 'ok', the rejection's message, or 'pending'. */
function sent(receipts: Receipts, key: number, timeoutMs = 60_000, via = 0): { outcome: () => Outcome; done: Promise<void> } {
  let outcome: Outcome = 'pending';
  const done = receipts.expect(key, () => true, timeoutMs, via).then(
    () => {
      outcome = 'ok';
    },
    (error: unknown) => {
      expect(isQueueUnavailable(error)).toBe(true);
      outcome = (error as Error).message;
    },
  );
  return { outcome: () => outcome, done };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Receipts', () => {
  it('resolves each send on its own receipt, in order or not, and ignores receipts for nothing sent', async () => {
    const receipts = new Receipts();
    const sends = [0, 1, 2, 3].map((key) => sent(receipts, key));
    receipts.settle(0);
    receipts.settle(2);
    receipts.settle(99);
    await settled();
    expect(sends.map((s) => s.outcome())).toEqual(['ok', 'pending', 'ok', 'pending']);
    expect(receipts.size).toBe(2);
    receipts.settle(3);
    receipts.settle(1);
    await Promise.all(sends.map((s) => s.done));
    expect(sends.map((s) => s.outcome())).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(receipts.size).toBe(0);
  });

  it("rejects a refused send with the broker's reason, retryably", async () => {
    const receipts = new Receipts();
    const refused = sent(receipts, 7);
    receipts.settle(7, 'TopicTerminatedError topic is gone');
    await refused.done;
    expect(refused.outcome()).toBe('pulsar refused the message: TopicTerminatedError topic is gone');
  });

  it('rejects at once what could not be written', async () => {
    const receipts = new Receipts();
    const error = await receipts.expect(1, () => false, 1_000).catch((e: unknown) => e);
    expect(isQueueUnavailable(error)).toBe(true);
    expect((error as Error).message).toBe('pulsar is not connected');
    expect(receipts.size).toBe(0);
  });

  it('refuses each send still unconfirmed at its own deadline, and a late receipt changes nothing', async () => {
    const receipts = new Receipts();
    const short = sent(receipts, 1, 30);
    const long = sent(receipts, 2, 250);
    const later = sent(receipts, 3, 60);
    await Promise.all([short.done, later.done]);
    expect(short.outcome()).toBe('pulsar did not confirm within 30 ms');
    expect(later.outcome()).toBe('pulsar did not confirm within 60 ms');
    expect(long.outcome()).toBe('pending');
    receipts.settle(1);
    receipts.settle(2);
    await long.done;
    expect(long.outcome()).toBe('ok');
    expect(short.outcome()).toBe('pulsar did not confirm within 30 ms');
    expect(receipts.size).toBe(0);
  });

  it('fails only what left on a lost connection, or everything', async () => {
    const receipts = new Receipts();
    const first = sent(receipts, 1, 60_000, 0);
    const second = sent(receipts, 2, 60_000, 1);
    const third = sent(receipts, 3, 60_000, 0);
    receipts.fail('socket closed', 0);
    await Promise.all([first.done, third.done]);
    expect([first.outcome(), second.outcome(), third.outcome()]).toEqual([
      'pulsar connection lost before it confirmed (socket closed)',
      'pending',
      'pulsar connection lost before it confirmed (socket closed)',
    ]);
    receipts.fail('producer closed');
    await second.done;
    expect(second.outcome()).toBe('pulsar connection lost before it confirmed (producer closed)');
    expect(receipts.size).toBe(0);
  });

  it('takes keys that only grow, also after everything was settled, and ignores a receipt for no number', async () => {
    const receipts = new Receipts();
    const one = sent(receipts, 10);
    await expect(receipts.expect(10, () => true, 1_000)).rejects.toThrow('receipt keys must grow: 10 after 10');
    await expect(receipts.expect(Number.NaN, () => true, 1_000)).rejects.toThrow('receipt keys must grow');
    receipts.settle(Number('not a number'));
    receipts.settle(10);
    await one.done;
    expect(one.outcome()).toBe('ok');
    await expect(receipts.expect(3, () => true, 1_000)).rejects.toThrow('receipt keys must grow');
    const next = sent(receipts, 11);
    receipts.settle(11);
    await next.done;
    expect(next.outcome()).toBe('ok');
  });

  it('finds a receipt among 20,000 waiting behind an oldest that never comes, and ignores late ones', async () => {
    const receipts = new Receipts();
    const stuck = sent(receipts, 0);
    const sends = Array.from({ length: 20_000 }, (_, i) => sent(receipts, i + 1));
    // Settled newest first: each one a search, none a scan past the others.
    for (let key = 20_000; key >= 1; key--) receipts.settle(key);
    // Receipts for keys no longer waiting (already settled) change nothing.
    for (let key = 1; key <= 20_000; key++) receipts.settle(key);
    await Promise.all(sends.map((s) => s.done));
    expect(receipts.size).toBe(1);
    expect(stuck.outcome()).toBe('pending');
    receipts.fail('closed');
    await stuck.done;
    expect(stuck.outcome()).toBe('pulsar connection lost before it confirmed (closed)');
  });

  it('keeps many thousands in flight and settles them all, the late ones out of order', async () => {
    const receipts = new Receipts();
    const sends = Array.from({ length: 5_000 }, (_, key) => sent(receipts, key));
    // Most come back in order; every tenth is held back and answered at the end, newest first.
    const held: number[] = [];
    for (let key = 0; key < 5_000; key++) {
      if (key % 10 === 0) held.push(key);
      else receipts.settle(key);
    }
    expect(receipts.size).toBe(500);
    for (const key of held.reverse()) receipts.settle(key);
    await Promise.all(sends.map((s) => s.done));
    expect(sends.every((s) => s.outcome() === 'ok')).toBe(true);
    expect(receipts.size).toBe(0);
  });
});
