/**
 * DESIGN.md section 5, "Result values": JSON values only. A value JSON
 * cannot hold exactly (NaN, Infinity, a BigInt, a cyclic object, a
 * function, a symbol, a Map or Set) is an error naming its path, e.g.
 * `result.total is NaN`; a Date is stored as its ISO string; undefined
 * object fields are left out and undefined array items become null, as
 * JSON.stringify does. The value returned is a plain copy: what is stored
 * is exactly what a dependent will read.
 */
export type Storable = { value: unknown } | { error: string };

class NotJson extends Error {}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function child(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function copy(value: unknown, path: string, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw new NotJson(`${path} is ${String(value)}`);
    case 'bigint':
      throw new NotJson(`${path} is a BigInt`);
    case 'function':
      throw new NotJson(`${path} is a function`);
    case 'symbol':
      throw new NotJson(`${path} is a symbol`);
    case 'undefined':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) {
    if (Number.isNaN(object.getTime())) throw new NotJson(`${path} is an invalid Date`);
    return object.toISOString();
  }
  if (object instanceof Map || object instanceof Set)
    throw new NotJson(`${path} is a ${object instanceof Map ? 'Map' : 'Set'}`);
  if (ancestors.has(object)) throw new NotJson(`${path} is a cyclic reference`);
  const toJson = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') return copy((toJson as () => unknown).call(object), path, ancestors);
  ancestors.add(object);
  try {
    if (Array.isArray(object))
      return object.map((item: unknown, index) => copy(item, `${path}[${index}]`, ancestors) ?? null);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const item = copy((object as Record<string, unknown>)[key], child(path, key), ancestors);
      if (item !== undefined) out[key] = item;
    }
    return out;
  } finally {
    ancestors.delete(object);
  }
}

/** A computation's return value as it will be stored: `{value}` (null: store nothing) or `{error}` naming the path. */
export function storableResult(value: unknown): Storable {
  try {
    return { value: copy(value, 'result', new Set()) ?? null };
  } catch (error) {
    if (error instanceof NotJson) return { error: error.message };
    throw error;
  }
}
