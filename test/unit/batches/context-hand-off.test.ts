import { describe, expect, it } from 'vitest';
import { ContextHandOff, withHandOff } from '../../../shared/batches/context-hand-off.ts';
import type { BlobStore } from '../../../shared/ports/blob-store.ts';
import { EntityBeacon } from '../../../cli/entity-beacon.ts';

function memoryBlobs(): BlobStore & { names: () => string[] } {
  const blobs = new Map<string, string>();
  return {
    put: async (name, text) => void blobs.set(name, text),
    get: async (name) => blobs.get(name) ?? null,
    deletePrefix: async (prefix) => {
      for (const name of blobs.keys()) if (name.startsWith(prefix)) blobs.delete(name);
    },
    names: () => [...blobs.keys()],
  };
}

describe('ContextHandOff', () => {
  it('holds contexts by blob name until their batch is recorded, and is full at its limit', () => {
    const handOff = new ContextHandOff(2);
    handOff.keep('r/C/2026-01-26/a1/b000000.context.json', '{"a":1}');
    expect(handOff.full).toBe(false);
    handOff.keep('r/C/2026-01-26/a1/b000001.context.json', '{"a":2}');
    expect(handOff.full).toBe(true);
    expect(handOff.get('r/C/2026-01-26/a1/b000001.context.json')).toBe('{"a":2}');
    expect(handOff.holds('r/C/2026-01-26/a1/')).toBe(true);
    expect(handOff.holds('r/C/2026-01-26/a2/')).toBe(false);
    handOff.release('r/C/2026-01-26/a1/b000000.context.json');
    expect(handOff.size).toBe(1);
    expect(handOff.get('r/C/2026-01-26/a1/b000000.context.json')).toBeUndefined();
  });

  it('room() waits until a context is let go of, and not past stop()', async () => {
    const handOff = new ContextHandOff(1);
    handOff.keep('a', 'x');
    let done = false;
    const waiting = handOff.room(() => false).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    handOff.release('a');
    await waiting;
    expect(done).toBe(true);

    handOff.keep('b', 'y');
    let stop = false;
    const stopped = handOff.room(() => stop);
    setTimeout(() => (stop = true), 50);
    await stopped;
    expect(handOff.full).toBe(true);
  });

  it('room() gives up after a while with nothing let go of, rather than stall the fan-out', async () => {
    const handOff = new ContextHandOff(1);
    handOff.keep('a', 'x');
    const start = Date.now();
    await handOff.room(() => false, 300);
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
    expect(handOff.full).toBe(true);
  });

  it('refuses a limit that is not a whole number of contexts', () => {
    expect(() => new ContextHandOff(0)).toThrow(/limit must be a whole number of contexts, 1 or more; got 0/);
  });

  it('seen through the blob store: a held context reads as its blob, and cleanup lets it go', async () => {
    const blobs = memoryBlobs();
    const handOff = new ContextHandOff(4);
    const store = withHandOff(blobs, handOff);
    handOff.keep('run/C/d/a1/b000000.context.json', '{"held":true}');
    await store.put('run/C/d/b000000.results.x.json', '[1]');
    expect(await store.get('run/C/d/a1/b000000.context.json')).toBe('{"held":true}');
    expect(await store.get('run/C/d/b000000.results.x.json')).toBe('[1]');
    expect(blobs.names()).toEqual(['run/C/d/b000000.results.x.json']);
    await store.deletePrefix('run/C/d');
    expect(handOff.size).toBe(0);
    expect(blobs.names()).toEqual([]);
  });
});

describe('EntityBeacon', () => {
  it("tells the pool the entity a thread's try is in and since when, across threads' shared memory", () => {
    const thread = new EntityBeacon();
    const pool = new EntityBeacon(thread.buffer);
    expect(pool.read(7)).toBeUndefined();
    expect(thread.write(7, 'entité-1', 1000)).toBe(true);
    expect(pool.read(7)).toEqual({ id: 'entité-1', startedAt: 1000 });
    // Another try's reading is not this one's.
    expect(pool.read(8)).toBeUndefined();
  });

  it('an id too long to hold is refused (the thread sends it by message), and not mistaken for the last one', () => {
    const thread = new EntityBeacon();
    const pool = new EntityBeacon(thread.buffer);
    thread.write(1, 'short', 5);
    expect(thread.write(1, 'x'.repeat(5000), 6)).toBe(false);
    expect(pool.read(1)).toBeUndefined();
  });
});
