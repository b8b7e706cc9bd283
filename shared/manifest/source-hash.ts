import { readFileSync, statSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, extname, relative, resolve, sep } from 'node:path';
import { parse, type Node } from 'acorn';
import { simple } from 'acorn-walk';
import { sha256 } from '../util/hash.ts';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);
const RESOLVE_SUFFIXES = ['', '.ts', '.js', '.mts', '.mjs', '.cts', '.cjs', '/index.ts', '/index.js'];
/** Position and spelling details that formatting changes but meaning does not. */
const IGNORED_AST_KEYS = new Set(['start', 'end', 'loc', 'range', 'raw']);

interface SourceFile {
  /** Hash of the syntax tree: comments, whitespace, quotes and optional semicolons do not count. */
  hash: string;
  /** Absolute paths of the local modules it imports (relative specifiers only). */
  imports: string[];
  /** Rule modules the code reads as `<x>.rules.NAME` (or destructures from `<x>.rules`), with their lines. */
  ruleUses: Array<{ name: string; line: number; onContext: boolean }>;
  /** Names the code passes as a string literal to `<x>.getDependency(...)`, with their lines. */
  dependencyUses: Array<{ name: string; line: number }>;
}

/** One `ctx.rules.NAME` in a module, found by reading its code. */
export interface RuleUse {
  name: string;
  /** Absolute path of the module. */
  file: string;
  line: number;
  /** Whether `<x>` is the parameter of a process() method, so surely the context (else any object with a `rules` field). */
  onContext: boolean;
}

function toJavaScript(code: string, file: string): string {
  if (!TS_EXTENSIONS.has(extname(file))) return code;
  try {
    return stripTypeScriptTypes(code, { mode: 'strip' });
  } catch {
    // Enums, namespaces and parameter properties need a transform, not just stripping.
    return stripTypeScriptTypes(code, { mode: 'transform' });
  }
}

function parseProgram(code: string): Node {
  const options = {
    ecmaVersion: 'latest',
    allowHashBang: true,
    allowAwaitOutsideFunction: true,
    allowReturnOutsideFunction: true,
    // Lines for messages; positions are left out of the hash.
    locations: true,
  } as const;
  try {
    return parse(code, { ...options, sourceType: 'module' });
  } catch {
    return parse(code, { ...options, sourceType: 'script' });
  }
}

function stringLiteral(node: Node | null | undefined): string | undefined {
  const literal = node as { type?: string; value?: unknown } | null | undefined;
  return literal?.type === 'Literal' && typeof literal.value === 'string' ? literal.value : undefined;
}

/** The module specifiers a program imports (static, dynamic and require). */
export function importSpecifiers(program: Node): string[] {
  const found: string[] = [];
  const add = (node: Node | null | undefined) => {
    const value = stringLiteral(node);
    if (value !== undefined) found.push(value);
  };
  simple(program, {
    ImportDeclaration: (node) => add(node.source),
    ExportNamedDeclaration: (node) => add(node.source),
    ExportAllDeclaration: (node) => add(node.source),
    ImportExpression: (node) => add(node.source),
    CallExpression: (node) => {
      const callee = node.callee as { type: string; name?: string };
      if (callee.type === 'Identifier' && callee.name === 'require') add(node.arguments[0]);
    },
  });
  return found;
}

/** The property a member expression names, when it is written out (`a.b` or `a['b']`). */
function propertyName(node: Node): string | undefined {
  const member = node as unknown as { computed: boolean; property: Node & { name?: string } };
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  return member.computed ? stringLiteral(member.property) : undefined;
}

function isRulesObject(node: Node | null | undefined): boolean {
  return node?.type === 'MemberExpression' && propertyName(node) === 'rules';
}

/** Names of the first parameter of each `process()` method: the computation's context. */
function contextNames(program: Node): Set<string> {
  const names = new Set<string>();
  simple(program, {
    MethodDefinition: (node) => {
      const param = node.value.params[0];
      if (
        !node.computed &&
        node.key.type === 'Identifier' &&
        node.key.name === 'process' &&
        param?.type === 'Identifier'
      )
        names.add(param.name);
    },
  });
  return names;
}

/** `ctx.rules.NAME`, `ctx.rules['NAME']` and `const { NAME } = ctx.rules`. */
function ruleUses(program: Node): SourceFile['ruleUses'] {
  const context = contextNames(program);
  const found: SourceFile['ruleUses'] = [];
  const add = (name: string | undefined, node: Node, rules: Node) => {
    const receiver = (rules as unknown as { object: Node & { name?: string } }).object;
    const onContext = receiver.type === 'Identifier' && context.has(receiver.name!);
    if (name !== undefined) found.push({ name, line: node.loc?.start.line ?? 0, onContext });
  };
  simple(program, {
    MemberExpression: (node) => {
      if (isRulesObject(node.object)) add(propertyName(node), node, node.object);
    },
    VariableDeclarator: (node) => {
      if (node.id.type !== 'ObjectPattern' || !isRulesObject(node.init)) return;
      for (const property of node.id.properties) {
        if (property.type !== 'Property') continue;
        add(
          property.key.type === 'Identifier' && !property.computed ? property.key.name : stringLiteral(property.key),
          property,
          node.init!,
        );
      }
    },
  });
  return found;
}

/** `<x>.getDependency('NAME', ...)` and `<x>['getDependency']('NAME')`: the names written out. */
function dependencyUses(program: Node): SourceFile['dependencyUses'] {
  const found: SourceFile['dependencyUses'] = [];
  simple(program, {
    CallExpression: (node) => {
      if (node.callee.type !== 'MemberExpression' || propertyName(node.callee) !== 'getDependency') return;
      const name = stringLiteral(node.arguments[0]);
      if (name !== undefined) found.push({ name, line: node.loc?.start.line ?? 0 });
    },
  });
  return found;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Finds the file a relative import names, as Node and TypeScript would. */
export function resolveLocalImport(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  for (const suffix of RESOLVE_SUFFIXES) {
    if (isFile(base + suffix)) return base + suffix;
  }
  // TypeScript sources often import './helper.js' meaning './helper.ts'.
  const swapped = base
    .replace(/\.js$/, '.ts')
    .replace(/\.mjs$/, '.mts')
    .replace(/\.cjs$/, '.cts');
  return swapped !== base && isFile(swapped) ? swapped : undefined;
}

/** The normalized hash of one source text (exported for tests and tools). */
export function normalizedSourceHash(code: string, file = 'module.js'): string {
  return sha256(serializeAst(parseProgram(toJavaScript(code, file))));
}

/**
 * The program with the `checks` of each `static getConfig()`'s returned
 * object left out: they are hashed apart, as the `checks` component
 * (shared/checks/checks-hash.ts), so editing a check re-runs the check on
 * the stored results, not the computation. Changes the tree in place.
 */
function withoutChecks(program: Node): Node {
  simple(program, {
    MethodDefinition: (node) => {
      if (!node.static || node.computed || node.key.type !== 'Identifier' || node.key.name !== 'getConfig') return;
      simple(node.value.body, {
        ReturnStatement: (statement) => {
          const returned = statement.argument;
          if (returned?.type !== 'ObjectExpression') return;
          returned.properties = returned.properties.filter(
            (property) =>
              property.type !== 'Property' ||
              property.computed ||
              (property.key.type === 'Identifier' ? property.key.name : stringLiteral(property.key)) !== 'checks',
          );
        },
      });
    },
  });
  return program;
}

function serializeAst(program: Node): string {
  return JSON.stringify(program, (key, value: unknown) => {
    if (IGNORED_AST_KEYS.has(key)) return undefined;
    if (typeof value === 'bigint') return `${value}n`;
    return value;
  });
}

/** Hashes of one module together with its local imports. */
export interface ModuleHashes {
  /** Hash of the module and every local helper it reaches, except those in boundary folders. */
  code: string;
  /** Absolute paths of boundary modules (layers, rules) it reaches. */
  boundaryModules: string[];
  /** Every `ctx.rules.NAME` in the module and the local helpers folded into its hash. */
  ruleUses: RuleUse[];
}

/**
 * Hashes source files by their syntax trees and follows their local imports.
 * One instance caches each file, so helpers shared by many computations are
 * read and parsed once.
 */
export class SourceHasher {
  readonly #files = new Map<string, SourceFile>();
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
  }

  file(path: string): SourceFile {
    const cached = this.#files.get(path);
    if (cached !== undefined) return cached;
    const program = parseProgram(toJavaScript(readFileSync(path, 'utf8'), path));
    const imports = importSpecifiers(program)
      .map((specifier) => resolveLocalImport(path, specifier))
      .filter((resolved): resolved is string => resolved !== undefined);
    const entry = {
      hash: sha256(serializeAst(withoutChecks(program))),
      imports,
      ruleUses: ruleUses(program),
      dependencyUses: dependencyUses(program),
    };
    this.#files.set(path, entry);
    return entry;
  }

  /**
   * Hash of `entry` and the local modules it imports, transitively. Modules
   * inside any of `boundaries` (folders) are not folded in; they are listed
   * so their hashes can be recorded as separate components.
   */
  module(entry: string, boundaries: readonly string[] = []): ModuleHashes {
    const inBoundary = (path: string) => boundaries.some((folder) => path.startsWith(folder + sep));
    const seen = new Set<string>([entry]);
    const queue = [entry];
    const parts: string[] = [];
    const boundaryModules = new Set<string>();
    const uses: RuleUse[] = [];
    while (queue.length > 0) {
      const path = queue.shift()!;
      const source = this.file(path);
      for (const use of source.ruleUses) uses.push({ ...use, file: path });
      parts.push(`${path === entry ? '.' : relative(this.#root, path)}:${source.hash}`);
      for (const imported of source.imports) {
        if (seen.has(imported)) continue;
        seen.add(imported);
        if (inBoundary(imported) && !inBoundary(entry)) boundaryModules.add(imported);
        else queue.push(imported);
      }
    }
    return {
      code: sha256(parts.sort().join('\n')),
      boundaryModules: [...boundaryModules].sort(),
      ruleUses: uses,
    };
  }
}
