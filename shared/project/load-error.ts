import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import { parse, type Node } from 'acorn';
import { errorText } from '../errors.ts';
import { importSpecifiers, resolveLocalImport } from '../manifest/source-hash.ts';

/** Where in a file a syntax error is, 1-based. */
export interface SourceLocation {
  line: number;
  column: number;
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/**
 * Node's TypeScript stripping reports a syntax error as `<file>:LINE`, the
 * lines around it and a caret under the column, in the stack only.
 */
function locationFromStrippingError(error: unknown): SourceLocation | null {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const lines = stack.split('\n');
  const header = /:(\d+)$/.exec(lines[0] ?? '');
  if (header === null) return null;
  const caretLine = lines.findIndex((line, index) => index > 0 && /^\s*\^+\s*$/.test(line));
  if (caretLine < 0) return null;
  return { line: Number(header[1]), column: lines[caretLine]!.indexOf('^') + 1 };
}

function parseModule(code: string): Node {
  return parse(code, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    allowHashBang: true,
    allowAwaitOutsideFunction: true,
  });
}

/** acorn's own error carries the location of the first token it could not parse. */
function locationFromParser(code: string): { location: SourceLocation; message: string } | null {
  try {
    parseModule(code);
    return null;
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    if (loc === undefined) return null;
    // acorn appends " (line:column)" to its message; the location is shown apart.
    const message = (error as Error).message.replace(/ \(\d+:\d+\)$/, '');
    return { location: { line: loc.line, column: loc.column + 1 }, message };
  }
}

/**
 * Finds where a syntax error is in a source file. Node's module loader says
 * "Expression expected" or "Unexpected token" without a line for ES
 * modules; this finds it again: TypeScript through the same type stripping
 * Node uses (which keeps every position), JavaScript with a parser.
 */
export function locateSyntaxError(
  file: string,
  source: string,
  error: unknown,
): { location: SourceLocation; message: string } | null {
  let code = source;
  if (TS_EXTENSIONS.has(extname(file))) {
    try {
      code = stripTypeScriptTypes(source, { mode: 'strip' });
    } catch (stripping) {
      const location = locationFromStrippingError(stripping) ?? locationFromStrippingError(error);
      if (location === null) return null;
      return { location, message: stripping instanceof Error ? stripping.message : String(stripping) };
    }
  }
  return locationFromParser(code);
}

/** The line of the error and a caret under its column, indented for a problem list. */
export function codeFrame(source: string, location: SourceLocation): string {
  const text = source.split(/\r?\n/)[location.line - 1];
  if (text === undefined) return '';
  const gutter = `${location.line} | `;
  const caret = `${' '.repeat(gutter.length - 2)}| ${' '.repeat(Math.max(0, location.column - 1))}^`;
  return `\n      ${gutter}${text.replace(/\t/g, ' ')}\n      ${caret}`;
}

/** The local modules (relative imports) a source file imports; none when it cannot be read as a module. */
function localImports(file: string, source: string): string[] {
  try {
    const code = TS_EXTENSIONS.has(extname(file)) ? stripTypeScriptTypes(source, { mode: 'strip' }) : source;
    return importSpecifiers(parseModule(code))
      .map((specifier) => resolveLocalImport(file, specifier))
      .filter((path): path is string => path !== undefined);
  } catch {
    return [];
  }
}

/**
 * The first syntax error in a file or, when it has none, in the local
 * modules it imports (depth first), as `file:line:column: syntax error:
 * message` and the line with a caret; `shown` is how `file` is named.
 */
function syntaxErrorIn(file: string, shown: string, error: unknown, seen: Set<string>): string | null {
  if (seen.has(file)) return null;
  seen.add(file);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const found = locateSyntaxError(file, source, error);
  if (found !== null) {
    const { line, column } = found.location;
    return `${shown}:${line}:${column}: syntax error: ${found.message}${codeFrame(source, found.location)}`;
  }
  for (const imported of localImports(file, source)) {
    // Node's error names no helper file: its location is not used for one.
    const inner = syntaxErrorIn(imported, join(dirname(shown), relative(dirname(file), imported)), null, seen);
    if (inner !== null) return inner;
  }
  return null;
}

/**
 * The text of a computation file that failed to load: for a syntax error,
 * `file:line:column: message` and the line with a caret (prefixed with the
 * computation's file when the error is in a helper it imports); else the
 * loader's own message. The files are parsed again whatever the error's
 * class, since loaders word syntax errors in their own ways (and some
 * without a line or a file).
 */
export function describeLoadError(file: string, shown: string, error: unknown): string {
  const text = errorText(error);
  const found = syntaxErrorIn(file, shown, error, new Set());
  if (found === null) return `${shown} could not be loaded: ${text}`;
  return found.startsWith(`${shown}:`) ? found : `${shown} could not be loaded: ${found}`;
}
