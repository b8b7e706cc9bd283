import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import type { BlobStore } from '../../ports/blob-store.ts';

/** Blobs as files under a folder; writes go through a temporary file and a rename, so a reader never sees half a blob. */
export class LocalBlobStore implements BlobStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  #path(name: string): string {
    const path = normalize(join(this.#root, name));
    if (!path.startsWith(normalize(this.#root) + sep)) throw new Error(`Blob name '${name}' leaves the blob folder`);
    return path;
  }

  async put(name: string, data: string): Promise<void> {
    const path = this.#path(name);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  async get(name: string): Promise<string | null> {
    try {
      return await readFile(this.#path(name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.#path(prefix.replace(/\/$/, '')), { recursive: true, force: true });
  }
}
