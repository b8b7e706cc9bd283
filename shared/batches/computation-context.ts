import { GLOBAL_ENTITY, type ComputationContext, type IsoDate, type Row } from '../model/types.ts';
import { didYouMean } from '../util/nearest.ts';

export interface ContextInput {
  date: IsoDate;
  entityId: string;
  data: Record<string, Row[]>;
  rules: Record<string, Record<string, unknown>>;
  previousResult: unknown;
  /** Names of the computation's declared dependencies. */
  dependencies: readonly string[];
  /** Per-entity dependency results for this entity (per-entity computations). */
  ownDependencies: Record<string, unknown>;
  /** Global dependency results. */
  globals: Record<string, unknown>;
  /** All results of per-entity dependencies keyed by entity (global computations); or those of the batch. */
  byEntity: Record<string, Record<string, unknown>>;
  computation: string;
}

/**
 * The `ctx` a computation's process() receives. getDependency follows
 * DESIGN.md section 5: same entity by default, another entity by id,
 * '_global' for a global result, and in a global computation a per-entity
 * dependency gives all its results keyed by entity id.
 */
export function buildContext(input: ContextInput): ComputationContext {
  const getDependency = <T>(name: string, entityId?: string): T | null => {
    if (!input.dependencies.includes(name)) {
      throw new Error(
        `${input.computation} asked for dependency '${name}', which is not in its config's dependencies (${input.dependencies.join(', ') || 'none'}).${didYouMean(name, input.dependencies) || ' Add it there.'}`,
      );
    }
    if (name in input.globals) {
      const value = input.globals[name];
      if (entityId === undefined || entityId === GLOBAL_ENTITY) return (value ?? null) as T | null;
      return null;
    }
    const all = input.byEntity[name] ?? {};
    if (entityId === GLOBAL_ENTITY) return null;
    if (entityId !== undefined) {
      if (input.entityId !== GLOBAL_ENTITY && !(entityId in all) && entityId !== input.entityId) {
        throw new Error(
          `${input.computation}: getDependency('${name}', '${entityId}') asks for an entity outside this batch; per-entity computations can read other entities' results only within their batch.`,
        );
      }
      return ((entityId === input.entityId ? input.ownDependencies[name] : all[entityId]) as T | null) ?? null;
    }
    if (input.entityId === GLOBAL_ENTITY) return all as T;
    return (input.ownDependencies[name] ?? null) as T | null;
  };
  return {
    date: input.date,
    entityId: input.entityId,
    data: input.data,
    rules: listedRulesOnly(input.computation, input.rules),
    previousResult: input.previousResult ?? null,
    getDependency,
  };
}

/**
 * ctx.rules with a clear error for a rule the computation does not list,
 * where a plain object would give undefined and a "Cannot read properties
 * of undefined" further on.
 */
function listedRulesOnly(
  computation: string,
  rules: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  return new Proxy(rules, {
    get(target, property, receiver) {
      if (typeof property !== 'string' || property in target || NOT_RULE_NAMES.has(property)) {
        return Reflect.get(target, property, receiver) as unknown;
      }
      const listed = Object.keys(target);
      throw new Error(
        `${computation} reads ctx.rules.${property}, but its config does not list '${property}' in rules (listed: ${listed.join(', ') || 'none'}). Add '${property}' to rules in its getConfig().`,
      );
    },
  });
}

/** Properties that code and tools probe on any object (await, JSON, inspection): never rule names. */
const NOT_RULE_NAMES = new Set(['then', 'toJSON', 'constructor', 'inspect', 'asymmetricMatch', '$$typeof', 'nodeType']);
