import { importUserModule } from '../project/load-computations.ts';
import type { ManifestEntry } from '../manifest/manifest.ts';

const cache = new Map<string, Promise<Record<string, unknown>>>();

/** The exports of each rule module a computation lists, as ctx.rules.NAME. */
export async function loadRules(entry: ManifestEntry): Promise<Record<string, Record<string, unknown>>> {
  const rules: Record<string, Record<string, unknown>> = {};
  for (const [name, file] of Object.entries(entry.ruleFiles)) {
    let module = cache.get(file);
    if (module === undefined) {
      module = importUserModule(file);
      cache.set(file, module);
    }
    rules[name] = await module;
  }
  return rules;
}
