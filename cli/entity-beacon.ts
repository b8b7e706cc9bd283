/**
 * Which entity a worker thread is in, and since when, in memory the thread
 * and its pool share: the thread writes it as each entity starts (no message
 * per entity), the pool reads it when the thread dies or seems stuck. A
 * sequence number, odd while a write is under way, tells a whole reading
 * from a torn one.
 */

/** Longest entity id, in UTF-8 bytes, the beacon holds; a longer one is sent in a message instead. */
export const BEACON_ID_BYTES = 1024;

const SEQ = 0;
const TRY = 1;
const LENGTH = 2;
const STARTED_AT_OFFSET = 16;
const ID_OFFSET = 24;
/** Readings tried before a write that never ends (its thread died inside it) counts as no entity. */
const READ_TRIES = 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EntityBeacon {
  readonly buffer: SharedArrayBuffer;
  readonly #ints: Int32Array;
  readonly #startedAt: Float64Array;
  readonly #id: Uint8Array;

  constructor(buffer = new SharedArrayBuffer(ID_OFFSET + BEACON_ID_BYTES)) {
    this.buffer = buffer;
    this.#ints = new Int32Array(buffer, 0, 3);
    this.#startedAt = new Float64Array(buffer, STARTED_AT_OFFSET, 1);
    this.#id = new Uint8Array(buffer, ID_OFFSET, BEACON_ID_BYTES);
  }

  /** The thread: entity `entityId` of try `tryId` starts now. False when the id is too long to hold. */
  write(tryId: number, entityId: string, now: number): boolean {
    const seq = Atomics.add(this.#ints, SEQ, 1) + 1; // odd: writing
    const { read, written } = encoder.encodeInto(entityId, this.#id);
    const fits = read === entityId.length;
    Atomics.store(this.#ints, TRY, fits ? tryId : -1);
    Atomics.store(this.#ints, LENGTH, written);
    this.#startedAt[0] = now;
    Atomics.store(this.#ints, SEQ, seq + 1);
    return fits;
  }

  /** The pool: the entity try `tryId` is in, if it started one. */
  read(tryId: number): { id: string; startedAt: number } | undefined {
    for (let tries = 0; tries < READ_TRIES; tries++) {
      const before = Atomics.load(this.#ints, SEQ);
      if (before % 2 === 1) continue;
      const holder = Atomics.load(this.#ints, TRY);
      const length = Atomics.load(this.#ints, LENGTH);
      const startedAt = this.#startedAt[0]!;
      const id = decoder.decode(this.#id.slice(0, length));
      if (Atomics.load(this.#ints, SEQ) !== before) continue;
      return holder === tryId && before > 0 ? { id, startedAt } : undefined;
    }
    return undefined;
  }
}
