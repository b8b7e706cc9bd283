import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from '../util/hash.ts';

/**
 * Hash of a computation's results for a date, fed in entity order: equal
 * output gives an equal hash however it was produced, which is what lets
 * dependents skip (early cutoff).
 */
export class ResultHasher {
  readonly #hash: Hash = createHash('sha256');
  #count = 0;

  add(entityId: string, result: unknown): void {
    this.#hash.update(`${JSON.stringify(entityId)}\t${canonicalJson(result)}\n`);
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}
