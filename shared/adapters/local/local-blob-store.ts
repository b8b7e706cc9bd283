import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import type { BlobStore } from '../../ports/blob-store.ts';

/** Blobs as files under a folder; writes go through a temporary file and a rename, so a reader never sees half a blob. */
export class LocalBlobStore implements BlobStore {
  readonly #root: string;
  /** Folders known to exist, so a put costs one write and one rename. */
  readonly #folders = new Set<string>();

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
    const folder = dirname(path);
    if (!this.#folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.#folders.add(folder);
    }
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await writeFile(temporary, data);
    } catch (error) {
      // The folder was deleted since (a finished computation's cleanup): make it again once.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.#folders.delete(folder);
      await mkdir(folder, { recursive: true });
      await writeFile(temporary, data);
    }
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
    this.#folders.clear();
    await rm(this.#path(prefix.replace(/\/$/, '')), { recursive: true, force: true });
  }
}
