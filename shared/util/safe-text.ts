/**
 * Text that came from users or callers, made safe to store, log and print:
 * bounded in length (Firestore holds at most 1 MiB per document, a log
 * line should stay readable) and free of control characters on a terminal.
 */

/** Characters of an error text kept where it is stored or logged. (Fixed) */
export const MAX_ERROR_CHARS = 4000;

/** Characters of a caller's value quoted back in an error or a log line. (Fixed) */
export const MAX_QUOTED_CHARS = 80;

/** `text` cut to `max` characters, saying how long the original was. */
export function boundedText(text: string, max: number = MAX_ERROR_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (cut: ${text.length} characters in all)`;
}

/** A caller's value quoted in a message: in single quotes, short, and printable. */
export function quoted(value: unknown, max: number = MAX_QUOTED_CHARS): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  if (text.length <= max) return `'${printable(text)}'`;
  return `'${printable(text.slice(0, max))}...' (${text.length} characters)`;
}

// C0 controls except tab, DEL, C1 controls, and the Unicode line/paragraph separators and bidi overrides.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` as it may reach a terminal or a one-line log message: escape
 * sequences, carriage returns and newlines shown as \u escapes, so a value
 * cannot clear the screen or fake a line. Multi-line texts of our own
 * (a usage message) go through {@link printableLines}.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Like {@link printable}, keeping newlines: for multi-line texts whose lines may hold user values. */
export function printableLines(text: string): string {
  return text
    .split('\n')
    .map((line) => printable(line))
    .join('\n');
}
