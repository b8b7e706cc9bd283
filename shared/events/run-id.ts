/** Whether `text` may be a run id: 1 to 128 of [A-Za-z0-9._-], not '.' or '..' (it names state keys, blob folders and log fields; DESIGN.md 5b). */
export function isRunId(text: string): boolean {
  return /^[A-Za-z0-9._-]{1,128}$/.test(text) && text !== '.' && text !== '..';
}
