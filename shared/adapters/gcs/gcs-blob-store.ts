import type { Bucket } from '@google-cloud/storage';
import type { BlobStore } from '../../ports/blob-store.ts';

/**
 * Blobs in a Cloud Storage bucket, under an optional prefix. An object
 * upload is atomic: a reader sees the whole blob or none of it.
 */
export class GcsBlobStore implements BlobStore {
  readonly #bucket: Bucket;
  readonly #prefix: string;

  constructor(bucket: Bucket, options: { prefix?: string } = {}) {
    this.#bucket = bucket;
    this.#prefix = options.prefix === undefined || options.prefix === '' ? '' : `${options.prefix.replace(/\/$/, '')}/`;
  }

  async put(name: string, data: string): Promise<void> {
    await this.#bucket.file(this.#prefix + name).save(data, { resumable: false, contentType: 'application/json' });
  }

  async get(name: string): Promise<string | null> {
    try {
      const [contents] = await this.#bucket.file(this.#prefix + name).download();
      return contents.toString('utf8');
    } catch (error) {
      if ((error as { code?: number }).code === 404) return null;
      throw error;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.#bucket.deleteFiles({ prefix: this.#prefix + prefix, force: true });
  }
}
