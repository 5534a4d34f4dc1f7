import { describe, expect, it } from 'vitest';
import { widenIntegers } from '../../../src/protocol/wide-integers.js';

describe('widenIntegers', () => {
  it('passes rows without a whole number beyond 32 bits on as they are, uncopied', () => {
    const rows = [{ a: 4_294_967_295, b: -2_147_483_648, c: 2.5, d: 'x', e: [1, 2] }];
    expect(widenIntegers(rows)).toBe(rows);
  });

  it('turns whole numbers beyond 32 bits into bigints, in fields and lists, copying only the rows that hold one', () => {
    const plain = { a: 1 };
    const rows = [plain, { a: 5_000_000_000, b: [-3_000_000_000, 1] }, { a: 2 ** 53 }];
    const widened = widenIntegers(rows);
    expect(widened).toEqual([{ a: 1 }, { a: 5_000_000_000n, b: [-3_000_000_000n, 1] }, { a: 2 ** 53 }]);
    expect(widened[0]).toBe(plain);
    // The caller's rows are untouched (bisection and retries send them again).
    expect(rows[1]).toEqual({ a: 5_000_000_000, b: [-3_000_000_000, 1] });
  });
});
