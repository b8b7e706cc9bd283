import type { BlobStore } from '../ports/blob-store.ts';

/**
 * The embedded runtime's hand-off of batch contexts: the executor keeps each
 * context's text here, under its blob name, instead of writing it to the
 * blob store, and the worker-thread pool sends it with the batch in the
 * thread's message (a string crosses by copy, with no file written, read or
 * decoded). A context stays until its batch is recorded, so a thread that
 * dies or a redelivery finds it again; the services keep the claim check
 * through the blob store (their workers are other processes).
 *
 * Memory is bounded by `limit` contexts: the fan-out waits for room before
 * it reads the next batch, as it waits for blob writes on the services.
 * Contexts live in this process only: a run taken over by another process
 * plans the computation again instead of adopting batches it cannot read.
 */
export class ContextHandOff {
  readonly #held = new Map<string, string>();
  readonly #limit: number;
  #waiters: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`ContextHandOff: limit must be a whole number of contexts, 1 or more; got ${limit}`);
    this.#limit = limit;
  }

  keep(name: string, text: string): void {
    this.#held.set(name, text);
  }

  /** The context kept under a blob name, if this process still holds it. */
  get(name: string): string | undefined {
    return this.#held.get(name);
  }

  /** Its batch is recorded: the context is let go of. */
  release(name: string): void {
    if (this.#held.delete(name)) this.#wake();
  }

  /** Lets go of every context under a prefix (the blob store's cleanup of a finished computation). */
  releasePrefix(prefix: string): void {
    for (const name of this.#held.keys()) if (name.startsWith(prefix)) this.#held.delete(name);
    this.#wake();
  }

  /** Whether any context under a prefix (one fan-out attempt) is held here. */
  holds(prefix: string): boolean {
    for (const name of this.#held.keys()) if (name.startsWith(prefix)) return true;
    return false;
  }

  get size(): number {
    return this.#held.size;
  }

  get full(): boolean {
    return this.#held.size >= this.#limit;
  }

  /**
   * Resolves once fewer than `limit` contexts are held, or `giveUpMs` passes
   * with none let go of (the bound is then exceeded rather than the fan-out
   * stalled: a batch whose publish failed waits for a retry to send it),
   * or `stop()` turns true (checked every 100 ms).
   */
  async room(stop: () => boolean, giveUpMs = 30_000): Promise<void> {
    let lastProgress = Date.now();
    while (this.full && !stop() && Date.now() - lastProgress < giveUpMs) {
      const before = this.#held.size;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters = this.#waiters.filter((waiter) => waiter !== done);
          resolve();
        };
        const timer = setTimeout(done, 100);
        this.#waiters.push(done);
      });
      if (this.#held.size < before) lastProgress = Date.now();
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The blob store as the embedded runtime's services see it: a context held
 * in the hand-off is read from there, and the cleanup of a finished
 * computation's blobs lets go of its held contexts too.
 */
export function withHandOff(blobs: BlobStore, handOff: ContextHandOff): BlobStore {
  return {
    put: (name, body) => blobs.put(name, body),
    get: async (name) => handOff.get(name) ?? blobs.get(name),
    deletePrefix: async (prefix) => {
      handOff.releasePrefix(prefix);
      await blobs.deletePrefix(prefix);
    },
  };
}
