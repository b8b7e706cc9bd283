/**
 * Fault injection around real adapters: a wrapper that counts calls by
 * name (`blobs.put`, `state.ledger.record`, `bus.publish`) and makes the
 * chosen call fail or stall. The adapter underneath is the real one; only
 * the chosen call is disturbed.
 */
export interface Fault {
  /** Call name, e.g. 'blobs.put' or 'state.ledger.record'. */
  target: string;
  /** Which call of that name (1-based) is disturbed. */
  call: number;
  /** How many calls in a row, from `call`, are disturbed. (Default: 1) */
  times?: number;
  /**
   * 'fail' throws before the real call; 'fail-after' makes the real call
   * then throws (the write landed, the answer was lost); 'delay' stalls it;
   * 'lost' (blob puts) writes the blob, then deletes it, as a lifecycle rule
   * or a hand might.
   */
  kind: 'fail' | 'fail-after' | 'delay' | 'lost';
  /** Stall for 'delay'. (Default: 2000) */
  ms?: number;
  /** Only calls whose first argument's text matches count. */
  match?: RegExp;
}

export class InjectedFault extends Error {
  constructor(target: string, call: number) {
    super(`injected fault: ${target} call ${call} failed`);
    this.name = 'InjectedFault';
  }
}

export class FaultInjector {
  readonly #faults: Fault[];
  readonly calls = new Map<string, number>();
  /** Faults that fired, as 'target#call kind'. */
  readonly fired: string[] = [];

  constructor(faults: Fault[] = []) {
    this.#faults = faults;
  }

  /** A proxy over `target` whose methods (also of nested port objects) count and maybe fail. */
  wrap<T extends object>(name: string, target: T): T {
    const nested = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof property === 'symbol') return value;
        const path = `${name}.${property}`;
        if (typeof value === 'function') {
          const apply = (method: unknown, args: unknown[]) =>
            (method as (...a: unknown[]) => unknown).apply(object, args);
          const lose = async (args: unknown[]) => {
            await apply(value, args);
            await apply(Reflect.get(object, 'deletePrefix'), [args[0]]);
          };
          return (...args: unknown[]) =>
            this.#call(
              path,
              args,
              () => apply(value, args),
              () => lose(args),
            );
        }
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
          if (!nested.has(property)) nested.set(property, this.wrap(path, value));
          return nested.get(property);
        }
        return value;
      },
    });
  }

  #call(path: string, args: unknown[], real: () => unknown, lose: () => Promise<void>): unknown {
    const first = typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0] ?? null);
    const fault = this.#faults.find((f) => f.target === path && (f.match === undefined || f.match.test(first)));
    if (fault === undefined) return real();
    const count = (this.calls.get(path) ?? 0) + 1;
    this.calls.set(path, count);
    if (count < fault.call || count >= fault.call + (fault.times ?? 1)) return real();
    this.fired.push(`${path}#${count} ${fault.kind}`);
    if (fault.kind === 'fail') return Promise.reject(new InjectedFault(path, count));
    if (fault.kind === 'lost') return lose();
    if (fault.kind === 'fail-after')
      return Promise.resolve(real()).then(() => Promise.reject(new InjectedFault(path, count)));
    return new Promise((resolve) => setTimeout(resolve, fault.ms ?? 2000)).then(real);
  }
}
