import type { Bucket } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { GcsBlobStore } from '../../../shared/adapters/gcs/gcs-blob-store.ts';

/** A stand-in bucket (no Cloud Storage emulator here) recording the requests the adapter makes. */
function recordingBucket() {
  const calls: Array<[string, ...unknown[]]> = [];
  const objects = new Map<string, string>();
  const bucket = {
    file: (name: string) => ({
      save: async (data: string, options: unknown) => {
        calls.push(['save', name, options]);
        objects.set(name, data);
      },
      download: async () => {
        calls.push(['download', name]);
        if (!objects.has(name)) throw Object.assign(new Error('No such object'), { code: 404 });
        return [Buffer.from(objects.get(name)!)];
      },
    }),
    deleteFiles: async (options: unknown) => void calls.push(['deleteFiles', options]),
  };
  return { bucket: bucket as unknown as Bucket, calls };
}

describe('GcsBlobStore requests', () => {
  it('writes objects under the prefix in one non-resumable upload and reads them back', async () => {
    const { bucket, calls } = recordingBucket();
    const blobs = new GcsBlobStore(bucket, { prefix: 'compute/' });
    await blobs.put('runs/r1/b.json', '{"a":1}');
    expect(await blobs.get('runs/r1/b.json')).toBe('{"a":1}');
    expect(calls).toEqual([
      ['save', 'compute/runs/r1/b.json', { resumable: false, contentType: 'application/json' }],
      ['download', 'compute/runs/r1/b.json'],
    ]);
  });

  it('answers null for a missing object and deletes by prefix', async () => {
    const { bucket, calls } = recordingBucket();
    const blobs = new GcsBlobStore(bucket);
    expect(await blobs.get('nope.json')).toBeNull();
    await blobs.deletePrefix('runs/r1/A');
    expect(calls.at(-1)).toEqual(['deleteFiles', { prefix: 'runs/r1/A', force: true }]);
  });
});
