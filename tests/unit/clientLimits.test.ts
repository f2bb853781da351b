import { describe, expect, it } from 'vitest';
import { ClientLimits, clientKey, type Refusal } from '../../src/clientLimits.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

const isRefusal = (x: unknown): x is Refusal =>
  typeof x === 'object' && x !== null && 'reason' in x;

describe('clientKey', () => {
  it('keys IPv4 by address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    expect(clientKey(undefined)).toBe('unknown');
    expect(clientKey('not an address')).toBe('not an address');
  });
});

describe('ClientLimits', () => {
  it('admits up to the concurrency limit per client, and again after a release', () => {
    const limits = new ClientLimits({ concurrency: 2, budgetMs: 0, windowMs: 60_000 });
    const a = limits.acquire('a');
    const b = limits.acquire('a');
    const c = limits.acquire('a');
    expect(isRefusal(a) || isRefusal(b)).toBe(false);
    expect(c).toMatchObject({ reason: 'concurrency', retryAfterSeconds: 1 });
    expect((c as Refusal).message).toMatch(/at most 2/);
    // Another client is not affected.
    expect(isRefusal(limits.acquire('b'))).toBe(false);
    if (!isRefusal(a)) {
      a.release();
      a.release(); // twice is once
    }
    expect(isRefusal(limits.acquire('a'))).toBe(false);
    expect(isRefusal(limits.acquire('a'))).toBe(true);
  });

  it('has no concurrency limit at 0', () => {
    const limits = new ClientLimits({ concurrency: 0, budgetMs: 0, windowMs: 60_000 });
    for (let i = 0; i < 1000; i++) expect(isRefusal(limits.acquire('a'))).toBe(false);
  });

  it('refuses queries once the budget is used, until the window slides past enough of it', () => {
    const c = clock();
    const limits = new ClientLimits({ concurrency: 0, budgetMs: 10_000, windowMs: 60_000 }, c.now);
    limits.charge('a', 4_000);
    c.advance(10_000);
    limits.charge('a', 7_000);
    expect(limits.used('a')).toBe(11_000);
    const refusal = limits.checkBudget('a');
    // The first 4 s leave the window 50 s from now, which brings the total under 10 s.
    expect(refusal).toMatchObject({ reason: 'budget', retryAfterSeconds: 50 });
    expect(refusal?.message).toMatch(/11\.0 s in the last 60 s.*10\.0 s per 60 s/);
    expect(limits.checkBudget('b')).toBeUndefined();
    c.advance(49_000);
    expect(limits.checkBudget('a')).toBeDefined();
    c.advance(1_000);
    expect(limits.checkBudget('a')).toBeUndefined();
    expect(limits.used('a')).toBe(7_000);
  });

  it('ignores charges when the budget is off, and forgets idle clients', () => {
    const c = clock();
    const off = new ClientLimits({ concurrency: 2, budgetMs: 0, windowMs: 60_000 }, c.now);
    off.charge('a', 1e9);
    expect(off.checkBudget('a')).toBeUndefined();
    expect(off.size).toBe(0);
    const on = new ClientLimits({ concurrency: 2, budgetMs: 1000, windowMs: 1000 }, c.now);
    const slot = on.acquire('a');
    on.charge('a', 10);
    expect(on.size).toBe(1);
    if (!isRefusal(slot)) slot.release();
    expect(on.size).toBe(1); // still charged within the window
    c.advance(1001);
    on.sweep();
    expect(on.size).toBe(0);
  });
});
