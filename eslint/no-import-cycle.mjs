// An ESLint rule refusing import cycles between the project's own modules
// (type-only imports count: a cycle of types still ties two modules into
// one). The graph is read from the files on disk (cached by modification
// time), except the file being linted, whose imports come from its syntax
// tree, so an edit is judged before it is saved.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"\n]+)['"]/gm;

/** @type {Map<string, {mtimeMs: number, imports: string[]}>} */
const cache = new Map();

function target(from, specifier) {
  const path = resolve(dirname(from), specifier);
  return existsSync(path) ? path : null;
}

function importsOnDisk(file) {
  let mtimeMs;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = cache.get(file);
  if (cached?.mtimeMs === mtimeMs) return cached.imports;
  const text = readFileSync(file, 'utf8');
  const imports = [];
  for (const match of text.matchAll(RELATIVE_IMPORT)) {
    const path = target(file, match[1]);
    if (path !== null && /\.[cm]?ts$/.test(path)) imports.push(path);
  }
  cache.set(file, { mtimeMs, imports });
  return imports;
}

/** A path of imports from `start` back to `file`, or null. */
function pathBack(start, file, importsOf) {
  const parent = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.shift();
    for (const next of importsOf(current)) {
      if (parent.has(next)) continue;
      parent.set(next, current);
      if (next === file) {
        const path = [];
        for (let at = next; at !== null; at = parent.get(at)) path.unshift(at);
        return path;
      }
      queue.push(next);
    }
  }
  return null;
}

export const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'Refuses an import that closes a cycle between modules of the project.' },
    schema: [],
    messages: { cycle: 'Import cycle: {{path}}. Move what both need to a lower module.' },
  },
  create(context) {
    const file = context.filename;
    const sources = [];
    const collect = (node) => {
      if (node.source?.type === 'Literal' && typeof node.source.value === 'string' && node.source.value.startsWith('.'))
        sources.push(node);
    };
    return {
      ImportDeclaration: collect,
      ExportNamedDeclaration: collect,
      ExportAllDeclaration: collect,
      ImportExpression: collect,
      'Program:exit'() {
        const own = sources.map((node) => target(file, node.source.value));
        const importsOf = (path) => (path === file ? own.filter((p) => p !== null) : importsOnDisk(path));
        sources.forEach((node, i) => {
          const start = own[i];
          if (start === null) return;
          const back = start === file ? [file] : pathBack(start, file, importsOf);
          if (back === null) return;
          const cwd = context.cwd;
          const path = [file, ...back].map((p) => relative(cwd, p)).join(' -> ');
          context.report({ node: node.source, messageId: 'cycle', data: { path } });
        });
      },
    };
  },
};
