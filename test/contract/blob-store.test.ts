import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GcsBlobStore } from '../../shared/adapters/gcs/gcs-blob-store.ts';
import { LocalBlobStore } from '../../shared/adapters/local/local-blob-store.ts';
import { uniqueName } from '../support/emulators.ts';
import { blobStoreContract } from './blob-store.contract.ts';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'compute-blobs-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

blobStoreContract('local folder', () => new LocalBlobStore(folder));

it('refuses a blob name that leaves the local folder', async () => {
  await expect(new LocalBlobStore(folder).put('../outside.json', 'x')).rejects.toThrow(
    "Blob name '../outside.json' leaves the blob folder",
  );
});

/**
 * Live on Cloud Storage only with COMPUTE_TEST_GCS_BUCKET and credentials
 * (Application Default Credentials); each run writes under its own prefix
 * and deletes it after.
 */
const bucket = process.env.COMPUTE_TEST_GCS_BUCKET;
const skip =
  bucket === undefined || bucket === ''
    ? 'COMPUTE_TEST_GCS_BUCKET is not set: the live Cloud Storage contract test is skipped'
    : null;
if (skip !== null) process.stderr.write(`SKIP: ${skip}\n`);
const prefix = uniqueName('blob-contract');
blobStoreContract('Cloud Storage (live)', () => new GcsBlobStore(new Storage().bucket(bucket!), { prefix }), { skip });
if (skip === null) afterAll(() => new GcsBlobStore(new Storage().bucket(bucket!)).deletePrefix(prefix));
