import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { extname } from 'node:path';
import { parse } from 'acorn';

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

/** acorn's own error carries the location of the first token it could not parse. */
function locationFromParser(code: string): { location: SourceLocation; message: string } | null {
  try {
    parse(code, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true, allowAwaitOutsideFunction: true });
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

/**
 * The text of a computation file that failed to load: for a syntax error,
 * `file:line:column: message` and the line with a caret; else the loader's
 * own message. The file is parsed again whatever the error's class, since
 * loaders word syntax errors in their own ways (and some without a line).
 */
export function describeLoadError(file: string, shown: string, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return `${shown} could not be loaded: ${text}`;
  }
  const found = locateSyntaxError(file, source, error);
  if (found === null) return `${shown} could not be loaded: ${text}`;
  const { line, column } = found.location;
  return `${shown}:${line}:${column}: syntax error: ${found.message}${codeFrame(source, found.location)}`;
}
