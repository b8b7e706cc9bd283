import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../shared/ports/blob-store.ts';

/** One suite over every BlobStore adapter. */
export function blobStoreContract(
  adapter: string,
  open: () => BlobStore,
  options: { skip?: string | null } = {},
): void {
  describe.skipIf(Boolean(options.skip))(`BlobStore contract: ${adapter}`, () => {
    it('stores and reads back a blob, replacing it on a second put', async () => {
      const blobs = open();
      await blobs.put('runs/r1/A/2026-01-26/b000000.context.json', '{"v":1}');
      expect(await blobs.get('runs/r1/A/2026-01-26/b000000.context.json')).toBe('{"v":1}');
      await blobs.put('runs/r1/A/2026-01-26/b000000.context.json', '{"v":2}');
      expect(await blobs.get('runs/r1/A/2026-01-26/b000000.context.json')).toBe('{"v":2}');
    });

    it('answers null for a blob that does not exist', async () => {
      expect(await open().get('runs/none/missing.json')).toBeNull();
    });

    it('keeps text exactly, including non-ASCII and a large body', async () => {
      const blobs = open();
      const text = JSON.stringify({
        name: 'Zoë — 株式',
        rows: Array.from({ length: 20_000 }, (_, i) => ({ i, s: `row ${i}` })),
      });
      await blobs.put('big/blob.json', text);
      expect(await blobs.get('big/blob.json')).toBe(text);
    });

    it('deletes every blob under a prefix and nothing else', async () => {
      const blobs = open();
      await blobs.put('runs/r2/A/2026-01-26/a1/b1.json', '1');
      await blobs.put('runs/r2/A/2026-01-26/a1/b2.json', '2');
      await blobs.put('runs/r2/B/2026-01-26/b1.json', '3');
      await blobs.deletePrefix('runs/r2/A/2026-01-26');
      expect(await blobs.get('runs/r2/A/2026-01-26/a1/b1.json')).toBeNull();
      expect(await blobs.get('runs/r2/A/2026-01-26/a1/b2.json')).toBeNull();
      expect(await blobs.get('runs/r2/B/2026-01-26/b1.json')).toBe('3');
      await blobs.deletePrefix('runs/never/written');
    });
  });
}
