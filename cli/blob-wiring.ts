import { resolve } from 'node:path';
import { LocalBlobStore } from '../shared/adapters/local/local-blob-store.ts';
import type { Manifest } from '../shared/manifest/manifest.ts';
import type { BlobStore } from '../shared/ports/blob-store.ts';
import { Storage } from '@google-cloud/storage';
import { GcsBlobStore } from '../shared/adapters/gcs/gcs-blob-store.ts';

/** Default blob folder, inside the project's `.compute/` folder. */
export const DEFAULT_BLOB_PATH = '.compute/blobs';

export function openBlobStore(manifest: Manifest): BlobStore {
  const config = manifest.project.blobs;
  if (config.type === 'local')
    return new LocalBlobStore(resolve(manifest.project.root, config.path ?? DEFAULT_BLOB_PATH));
  return new GcsBlobStore(
    new Storage().bucket(config.bucket),
    config.prefix === undefined ? {} : { prefix: config.prefix },
  );
}
