import { describe, expect, it } from 'vitest';
import { EntityMerger, type EntitySource } from '../../../shared/warehouse/entity-batches.ts';

async function* chunks<T>(items: T[], size: number): AsyncIterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

const source = (name: string, keys: string[], size = 2): EntitySource<{ k: string; i: number }> => ({
  name,
  chunks: chunks(
    keys.map((k, i) => ({ k, i })),
    size,
  ),
  key: (item) => item.k,
});

describe('EntityMerger', () => {
  it('merges sorted sources, keeping an entity whole even when its rows span chunks', async () => {
    const merger = await EntityMerger.open([source('a', ['e1', 'e1', 'e1', 'e3']), source('b', ['e2', 'e3', 'e3'], 1)]);
    const batches = [];
    for await (const batch of merger.batches(2)) batches.push(batch);
    expect(batches.map((b) => b.entityIds)).toEqual([['e1', 'e2'], ['e3']]);
    expect(batches[0]!.items.get('e1')!.a).toHaveLength(3);
    expect(batches[0]!.items.get('e1')!.b).toEqual([]);
    expect(batches[1]!.items.get('e3')!.b).toHaveLength(2);
    expect(batches.map((b) => b.index)).toEqual([0, 1]);
  });

  it('tells an empty source before any batch', async () => {
    const merger = await EntityMerger.open([source('full', ['e1']), source('empty', [])]);
    expect(merger.isEmpty('empty')).toBe(true);
    expect(merger.isEmpty('full')).toBe(false);
  });

  it('refuses a source that is not ordered by entity', async () => {
    const merger = await EntityMerger.open([source('unordered', ['e2', 'e1'])]);
    const run = async () => {
      for await (const _ of merger.batches(10)) void _;
    };
    await expect(run()).rejects.toThrow("Source 'unordered' is not ordered by entity id: 'e1' came after 'e2'.");
  });
});
