import type { ManifestEntry } from '../../shared/manifest/manifest.ts';
import { computationConfigSchema, type ComputationConfigInput } from '../../shared/model/config-schema.ts';
import {
  parseProjectConfig,
  type ProjectConfig,
  type ProjectConfigInput,
} from '../../shared/project/project-config.ts';

/** A manifest entry from a config alone, for tests of parts that read only the config. */
export function entry(config: ComputationConfigInput): ManifestEntry {
  const parsed = computationConfigSchema.parse(config);
  return {
    name: parsed.name,
    config: parsed,
    file: `computations/${parsed.name}.ts`,
    Class: class {} as never,
    pass: 0,
    dependents: [],
    codeHash: 'code',
    layerHashes: {},
    ruleHashes: {},
    ruleFiles: {},
  };
}

export function project(settings: ProjectConfigInput = {}, root = '/tmp/project'): ProjectConfig {
  return parseProjectConfig({ entityField: 'user_id', ...settings }, root);
}
