import { importUserModule } from '../project/load-computations.ts';
import type { ManifestEntry } from '../manifest/manifest.ts';

const cache = new Map<string, Promise<Record<string, unknown>>>();

/** The exports of each rule module a computation lists, as ctx.rules.NAME. */
export async function loadRules(entry: ManifestEntry): Promise<Record<string, Record<string, unknown>>> {
  const rules: Record<string, Record<string, unknown>> = {};
  for (const [name, file] of Object.entries(entry.ruleFiles)) {
    // Keyed by the rule's hash: a process that outlives an edit (a test, a
    // long-lived service) loads the edited module, as the composite hash says it will.
    const version = entry.ruleHashes[name];
    const key = `${file}#${version ?? ''}`;
    let module = cache.get(key);
    if (module === undefined) {
      module = importUserModule(file, version?.slice(0, 16));
      cache.set(key, module);
    }
    rules[name] = await module;
  }
  return rules;
}
