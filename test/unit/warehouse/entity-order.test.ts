import { describe, expect, it } from 'vitest';
import { compareEntityIds } from '../../../shared/warehouse/entity-order.ts';

const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('compareEntityIds', () => {
  it('orders ids by UTF-8 bytes, as both warehouses sort them, not by UTF-16 code units', () => {
    expect(['😀', '～', 'é', 'É', 'a', 'B'].sort(compareEntityIds)).toEqual(['B', 'a', 'É', 'é', '～', '😀']);
    // JavaScript's own order disagrees exactly here: a surrogate pair against U+E000..U+FFFF.
    expect('😀' < '～').toBe(true);
    expect(compareEntityIds('😀', '～')).toBeGreaterThan(0);
  });

  it('agrees with a byte comparison on every pair of a mixed sample', () => {
    const pieces = ['a', 'A', 'z', 'é', 'É', 'ß', '中', '～', '\uffff', '\ue000', '😀', '𝔸', '\u{10ffff}', '0', ''];
    const ids = pieces.flatMap((x) => pieces.map((y) => x + y));
    for (const a of ids)
      for (const b of ids) expect([a, b, Math.sign(compareEntityIds(a, b))]).toEqual([a, b, utf8Order(a, b)]);
  });
});
