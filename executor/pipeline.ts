/**
 * Steps running side by side, at most `depth` at once. The first step that
 * fails is remembered and thrown by the next `add` or by `drain`: a failed
 * step fails the work it belongs to, it never goes unseen.
 */
export class Pipeline {
  readonly #depth: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | null = null;

  constructor(depth: number) {
    this.#depth = depth;
  }

  /** Starts tracking a step; waits while `depth` steps run; throws an earlier step's failure. */
  async add(step: Promise<void>): Promise<void> {
    this.#check();
    this.#running.add(step);
    step.then(
      () => this.#running.delete(step),
      (error: unknown) => {
        this.#running.delete(step);
        this.#failure ??= { error };
      },
    );
    while (this.#running.size >= this.#depth && this.#failure === null)
      await Promise.race(this.#running).catch(() => undefined);
    this.#check();
  }

  /** Waits for every step; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#running]);
    this.#check();
  }

  #check(): void {
    if (this.#failure !== null) throw this.#failure.error;
  }
}
