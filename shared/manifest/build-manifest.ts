import { existsSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { errorText, UserError, type Problem } from '../errors.ts';
import { computationConfigSchema, type ComputationConfig } from '../model/config-schema.ts';
import { listSourceFiles, loadComputations, type LoadedComputation } from '../project/load-computations.ts';
import type { ProjectConfig } from '../project/project-config.ts';
import { didYouMean, nearestName } from '../util/nearest.ts';
import { describeIssues } from '../util/zod-problems.ts';
import { scheduleProblems } from '../schedule/check.ts';
import { assignPasses } from './graph.ts';
import type { Manifest, ManifestEntry } from './manifest.ts';
import { SourceHasher, type RuleUse } from './source-hash.ts';

/** A computation as `validate` lists it, even when the manifest has problems. */
export interface ListedComputation {
  name: string;
  type: string;
  file: string;
  dependencies: string[];
  /** null when it sits in or behind a cycle. */
  pass: number | null;
  codeHash: string | null;
}

export interface ManifestBuild {
  /** The computations that passed every check, ordered into passes. */
  manifest: Manifest;
  listing: ListedComputation[];
  /** Every problem found, all at once. Empty means the manifest is valid. */
  problems: Problem[];
}

const CONFIG_KEYS = Object.keys(computationConfigSchema.shape);
const REQUIREMENT_KEYS = ['lookback', 'mandatory', 'dateField', 'entityField', 'columns'];
const SCHEDULE_KEYS = ['frequency', 'time', 'day'];

function allowedKeys(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return CONFIG_KEYS;
  if (path[0] === 'requires' && path.length === 2) return REQUIREMENT_KEYS;
  if (path[0] === 'schedule') return SCHEDULE_KEYS;
  return [];
}

interface Checked {
  loaded: LoadedComputation;
  config: ComputationConfig;
  file: string;
}

function checkConfigs(loaded: LoadedComputation[], root: string, problems: Problem[]): Checked[] {
  const checked: Checked[] = [];
  for (const item of loaded) {
    const file = relative(root, item.file);
    let raw: unknown;
    let result: ReturnType<typeof computationConfigSchema.safeParse>;
    try {
      raw = item.Class.getConfig();
      // Inside the try: reading the config runs its getters, and a getter may throw too.
      result = computationConfigSchema.safeParse(raw);
    } catch (error) {
      problems.push({
        code: 'CONFIG_INVALID',
        file,
        computation: item.Class.name,
        message: `${file}: ${item.Class.name}.getConfig() threw: ${errorText(error)}`,
      });
      continue;
    }
    if (!result.success) {
      const rawName = (raw as { name?: unknown } | null)?.name;
      const label = typeof rawName === 'string' ? rawName : item.Class.name;
      for (const line of describeIssues(result.error, allowedKeys)) {
        problems.push({
          code: 'CONFIG_INVALID',
          file,
          computation: label,
          message: `${file}: computation '${label}': ${line}`,
        });
      }
      continue;
    }
    checked.push({ loaded: item, config: result.data, file });
  }
  return checked;
}

function findRuleFiles(rulesDir: string, ruleNames: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of ruleNames) {
    for (const extension of ['.ts', '.mts', '.js', '.mjs']) {
      const candidate = join(rulesDir, name + extension);
      if (existsSync(candidate)) {
        found.set(name, candidate);
        break;
      }
    }
  }
  return found;
}

/** Layer or rule name of a module inside a folder: its path without extension. */
function moduleName(folder: string, file: string): string {
  const path = relative(folder, file);
  return path
    .slice(0, path.length - extname(path).length)
    .split(sep)
    .join('/');
}

/**
 * Checks loaded computations and builds the manifest: configs, duplicate
 * names, unknown dependencies and rules, cycles (each printed as a chain),
 * pass numbers, and code, layer and rule hashes. Reports every problem.
 */
export async function buildManifestFrom(
  project: ProjectConfig,
  loaded: LoadedComputation[],
  loadProblems: Problem[] = [],
): Promise<ManifestBuild> {
  const root = project.root;
  const rulesDir = resolve(root, project.rules);
  const layersDir = resolve(root, project.layers);
  const problems = [...loadProblems];
  const checked = checkConfigs(loaded, root, problems);

  const byName = new Map<string, Checked[]>();
  for (const item of checked) byName.set(item.config.name, [...(byName.get(item.config.name) ?? []), item]);
  for (const [name, items] of byName) {
    if (items.length > 1) {
      problems.push({
        code: 'DUPLICATE_NAME',
        computation: name,
        message: `Computation name '${name}' is defined ${items.length} times: ${items.map((i) => i.file).join(', ')}. Names must be unique.`,
      });
    }
  }
  const unique = [...byName.values()].map((items) => items[0]!);
  const names = unique.map((item) => item.config.name);

  const availableRules = (await listSourceFiles(rulesDir)).map((file) => moduleName(rulesDir, file));
  for (const item of unique) {
    for (const dep of item.config.dependencies) {
      if (!byName.has(dep)) {
        problems.push({
          code: 'UNKNOWN_DEPENDENCY',
          computation: item.config.name,
          file: item.file,
          message: `${item.file}: computation '${item.config.name}' depends on '${dep}', which is not a computation.${didYouMean(dep, names)}`,
        });
      }
    }
    const ruleFiles = findRuleFiles(rulesDir, item.config.rules);
    for (const rule of item.config.rules) {
      if (!ruleFiles.has(rule)) {
        problems.push({
          code: 'UNKNOWN_RULE',
          computation: item.config.name,
          file: item.file,
          message: `${item.file}: computation '${item.config.name}' uses rule '${rule}', but ${relative(root, rulesDir) || '.'}/ has no module ${rule}.ts or ${rule}.js.${didYouMean(rule, availableRules)}`,
        });
      }
    }
  }

  const { passes, cycles } = assignPasses(
    unique.map((item) => ({ name: item.config.name, dependencies: item.config.dependencies })),
  );
  for (const chain of cycles) {
    problems.push({
      code: 'CYCLE',
      computation: chain[0]!,
      message: `Dependency cycle: ${chain.join(' -> ')} (each depends on the next). Remove one of these dependencies.`,
    });
  }

  problems.push(
    ...scheduleProblems(
      unique.map((item) => ({
        name: item.config.name,
        file: item.file,
        schedule: item.config.schedule,
        dependencies: item.config.dependencies,
      })),
    ),
  );

  const hasher = new SourceHasher(root);
  const entries: ManifestEntry[] = [];
  const listing: ListedComputation[] = [];
  for (const item of unique) {
    const { config } = item;
    let codeHash: string | null = null;
    const layerHashes: Record<string, string> = {};
    const ruleHashes: Record<string, string> = {};
    const ruleFiles = Object.fromEntries(findRuleFiles(rulesDir, config.rules));
    try {
      const module = hasher.module(item.loaded.file, [layersDir, rulesDir]);
      codeHash = module.code;
      for (const path of module.boundaryModules) {
        if (path.startsWith(layersDir + sep)) layerHashes[moduleName(layersDir, path)] = hasher.module(path).code;
        else ruleHashes[moduleName(rulesDir, path)] = hasher.module(path).code;
      }
      for (const [rule, path] of Object.entries(ruleFiles)) ruleHashes[rule] = hasher.module(path).code;
      problems.push(...unlistedRules(item, module.ruleUses, root, rulesDir, availableRules));
      problems.push(...unlistedDependencies(item, hasher.file(item.loaded.file).dependencyUses, new Set(names)));
    } catch (error) {
      problems.push({
        code: 'HASH_FAILED',
        computation: config.name,
        file: item.file,
        message: `${item.file}: could not read the code of '${config.name}' to hash it: ${(error as Error).message}`,
      });
    }
    const pass = passes.get(config.name) ?? null;
    listing.push({
      name: config.name,
      type: config.type,
      file: item.file,
      dependencies: config.dependencies,
      pass,
      codeHash,
    });
    if (pass !== null && codeHash !== null) {
      entries.push({
        name: config.name,
        config,
        file: item.file,
        Class: item.loaded.Class,
        pass,
        dependents: [],
        codeHash,
        layerHashes,
        ruleHashes,
        ruleFiles,
      });
    }
  }

  return { manifest: assemble(project, entries), listing: sortListing(listing), problems };
}

/**
 * `ctx.rules.NAME` in the code of a computation that does not list NAME in
 * its config's rules: at run time ctx.rules has only the listed modules.
 * One problem per rule, at its first use.
 */
function unlistedRules(
  item: Checked,
  uses: readonly RuleUse[],
  root: string,
  rulesDir: string,
  availableRules: readonly string[],
): Problem[] {
  const listed = new Set(item.config.rules);
  const reported = new Set<string>();
  const problems: Problem[] = [];
  for (const use of uses) {
    const exists = availableRules.includes(use.name);
    // `row.rules.length` reads data, not a rule: a name that is no rule module counts only on the context.
    if (listed.has(use.name) || reported.has(use.name) || (!exists && !use.onContext)) continue;
    reported.add(use.name);
    const folder = relative(root, rulesDir) || '.';
    const fix = exists
      ? `Add '${use.name}' to rules in its getConfig() (rules: [${[...item.config.rules, use.name].map((r) => `'${r}'`).join(', ')}]).`
      : `${folder}/ has no module ${use.name}.ts or ${use.name}.js either.${didYouMean(use.name, availableRules)}`;
    problems.push({
      code: 'RULE_NOT_LISTED',
      computation: item.config.name,
      file: item.file,
      message: `${relative(root, use.file)}:${use.line}: computation '${item.config.name}' uses ctx.rules.${use.name}, but its config does not list '${use.name}' in rules, so ctx.rules.${use.name} would be undefined when it runs. ${fix}`,
    });
  }
  return problems;
}

/**
 * `ctx.getDependency('NAME')` in a computation's own file where NAME is not
 * among its config's dependencies: at run time that call throws. Helpers it
 * imports may serve other computations, so only its own file is read.
 */
function unlistedDependencies(
  item: Checked,
  uses: ReadonlyArray<{ name: string; line: number }>,
  knownNames: ReadonlySet<string>,
): Problem[] {
  const listed = item.config.dependencies;
  const reported = new Set<string>();
  const problems: Problem[] = [];
  for (const use of uses) {
    if (listed.includes(use.name) || reported.has(use.name)) continue;
    reported.add(use.name);
    const near = nearestName(use.name, listed);
    const fix =
      near !== undefined
        ? `Did you mean '${near}'?`
        : knownNames.has(use.name)
          ? `Add '${use.name}' to dependencies in its getConfig() (dependencies: [${[...listed, use.name].map((d) => `'${d}'`).join(', ')}]).`
          : `No computation is named '${use.name}'.${didYouMean(use.name, knownNames)}`;
    problems.push({
      code: 'DEPENDENCY_NOT_LISTED',
      computation: item.config.name,
      file: item.file,
      message: `${item.file}:${use.line}: computation '${item.config.name}' calls getDependency('${use.name}'), but '${use.name}' is not among its dependencies (${listed.join(', ') || 'none'}), so that call fails when it runs. ${fix}`,
    });
  }
  return problems;
}

function sortListing(listing: ListedComputation[]): ListedComputation[] {
  return listing.sort((a, b) => (a.pass ?? Infinity) - (b.pass ?? Infinity) || a.name.localeCompare(b.name));
}

function assemble(project: ProjectConfig, entries: ManifestEntry[]): Manifest {
  entries.sort((a, b) => a.pass - b.pass || a.name.localeCompare(b.name));
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  for (const entry of entries) {
    for (const dep of entry.config.dependencies) byName.get(dep)?.dependents.push(entry.name);
  }
  const passes: string[][] = [];
  for (const entry of entries) (passes[entry.pass] ??= []).push(entry.name);
  return { project, computations: entries, byName, passes };
}

/** Loads a project's computations and builds its manifest. */
export async function buildManifest(project: ProjectConfig): Promise<ManifestBuild> {
  const folder = resolve(project.root, project.computations);
  const { computations, problems } = await loadComputations(folder, project.root, {
    timeLimitMs: (project.loadTimeoutSeconds ?? 30) * 1000,
  });
  if (computations.length === 0 && problems.length === 0) {
    problems.push({
      code: 'NO_COMPUTATIONS',
      message: `No computation files found in ${folder}. Add .ts or .js files there, or set "computations" in compute.config.json.`,
    });
  }
  return buildManifestFrom(project, computations, problems);
}

/** The manifest, or a UserError listing every problem. */
export async function requireManifest(project: ProjectConfig): Promise<Manifest> {
  const build = await buildManifest(project);
  if (build.problems.length > 0) {
    const lines = build.problems.map((p) => `  - ${p.message}`).join('\n');
    throw new UserError('MANIFEST_INVALID', `The project has ${build.problems.length} problem(s):\n${lines}`, {
      problems: build.problems,
    });
  }
  return build.manifest;
}
