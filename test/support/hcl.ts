import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Just enough of HCL's structure to check a Terraform module against a
 * provider schema: blocks with their labels, nested blocks, and the names
 * of attributes. Expressions are skipped, not understood.
 */
export interface HclBlock {
  type: string;
  labels: string[];
  attributes: Map<string, number>;
  /** Each attribute's expression as written, e.g. `[google_project_service.apis]`. */
  values: Map<string, string>;
  blocks: HclBlock[];
  file: string;
  line: number;
}

class Scanner {
  i = 0;
  readonly text: string;
  readonly file: string;

  constructor(text: string, file: string) {
    this.text = text;
    this.file = file;
  }

  line(at = this.i): number {
    return this.text.slice(0, at).split('\n').length;
  }

  fail(message: string): never {
    throw new Error(`${this.file}:${this.line()}: ${message}`);
  }

  /** Skips spaces, newlines and comments between statements. */
  skipBlank(): void {
    for (;;) {
      const rest = this.text.slice(this.i);
      const match = /^(\s+|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
      if (match === null) return;
      this.i += match[0].length;
    }
  }

  skipSpaces(): void {
    while (this.text[this.i] === ' ' || this.text[this.i] === '\t') this.i++;
  }

  identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.i));
    if (match === null) this.fail(`expected a name, found '${this.text.slice(this.i, this.i + 20)}'`);
    this.i += match[0].length;
    return match[0];
  }

  /** A quoted string, with escapes and ${...} interpolations (which may hold strings themselves). */
  string(): string {
    const start = ++this.i;
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '\\') this.i += 2;
      else if (c === '"') return this.text.slice(start, this.i++);
      else if ((c === '$' || c === '%') && this.text[this.i + 1] === '{') {
        this.i += 2;
        this.expression('}');
        this.i++;
      } else this.i++;
    }
    return this.fail('unterminated string');
  }

  heredoc(): void {
    const match = /^<<-?([A-Za-z_]+)\n/.exec(this.text.slice(this.i));
    if (match === null) this.fail('malformed heredoc');
    this.i += match[0].length;
    const end = new RegExp(`^\\s*${match[1]}\\s*$`, 'm');
    const rest = this.text.slice(this.i);
    const found = end.exec(rest);
    if (found === null) this.fail(`heredoc ${match[1]} never ends`);
    this.i += found.index + found[0].length;
  }

  /** Skips an expression: up to a newline at depth 0, or up to `closer` when inside brackets. */
  expression(closer: string | null = null): void {
    let depth = 0;
    while (this.i < this.text.length) {
      const c = this.text[this.i]!;
      if (c === '"') this.string();
      else if (c === '<' && this.text.startsWith('<<', this.i) && /^<<-?[A-Za-z_]+\n/.test(this.text.slice(this.i)))
        this.heredoc();
      else if (c === '#' || (c === '/' && this.text[this.i + 1] === '/')) {
        while (this.i < this.text.length && this.text[this.i] !== '\n') this.i++;
      } else if (c === '/' && this.text[this.i + 1] === '*') {
        this.i = this.text.indexOf('*/', this.i) + 2;
      } else if (c === '(' || c === '[' || c === '{') {
        depth++;
        this.i++;
      } else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) {
          if (closer !== null && c === closer) return;
          return;
        }
        depth--;
        this.i++;
      } else if (c === '\n' && depth === 0 && closer === null) return;
      else this.i++;
    }
  }

  body(file: string, until: '}' | null): Pick<HclBlock, 'attributes' | 'values' | 'blocks'> {
    const attributes = new Map<string, number>();
    const values = new Map<string, string>();
    const blocks: HclBlock[] = [];
    for (;;) {
      this.skipBlank();
      if (this.i >= this.text.length) {
        if (until !== null) this.fail('unclosed block');
        return { attributes, values, blocks };
      }
      if (this.text[this.i] === '}') {
        if (until === null) this.fail("unexpected '}'");
        this.i++;
        return { attributes, values, blocks };
      }
      const at = this.i;
      const name = this.identifier();
      this.skipSpaces();
      if (this.text[this.i] === '=' && this.text[this.i + 1] !== '=') {
        if (attributes.has(name)) this.fail(`argument ${name} is set twice`);
        attributes.set(name, this.line(at));
        this.i++;
        this.skipSpaces();
        const start = this.i;
        this.expression();
        values.set(name, this.text.slice(start, this.i).trim());
        continue;
      }
      const labels: string[] = [];
      while (this.text[this.i] !== '{') {
        if (this.text[this.i] === '"') labels.push(this.string());
        else labels.push(this.identifier());
        this.skipSpaces();
      }
      this.i++;
      const inner = this.body(file, '}');
      blocks.push({ type: name, labels, ...inner, file, line: this.line(at) });
    }
  }
}

export function parseHcl(text: string, file: string): HclBlock[] {
  return new Scanner(text, file).body(file, null).blocks;
}

/** Every top-level block of every .tf file in a folder. */
export function parseModule(folder: string): HclBlock[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.tf'))
    .sort()
    .flatMap((f) => parseHcl(readFileSync(join(folder, f), 'utf8'), f));
}
