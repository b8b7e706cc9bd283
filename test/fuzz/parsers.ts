import { PoisonMessageError } from '../../shared/errors.ts';
import { MAX_NAME_CHARS, MAX_RUN_COMPUTATIONS } from '../../shared/events/contracts.ts';
import { readPushRequest } from '../../shared/http/push-message.ts';
import { fuzzCase, type Credentials } from './cases.ts';

const CREDENTIALS: Credentials = { apiToken: 'api-token-for-parsers', pushToken: 'a.b.c', otherToken: 'd.e.f' };

/**
 * The run-message and event parsers over the fuzz cases' bodies, in
 * process: each either yields an event within the bounds or refuses it as
 * poison with a short message; nothing else (no TypeError, no 5 MB text).
 */
export function fuzzParsers(base: number, cases: number) {
  const problems: string[] = [];
  let accepted = 0;
  let poison = 0;
  for (let i = 0; i < cases; i++) {
    const item = fuzzCase(base + i, CREDENTIALS);
    let body: unknown;
    try {
      body = JSON.parse(typeof item.body === 'string' ? item.body : (item.body?.toString('utf8') ?? ''));
    } catch {
      continue;
    }
    try {
      const { event } = readPushRequest(item.headers, body, { maxRunDays: 3660 });
      accepted++;
      const text = JSON.stringify(event);
      if ('computation' in event && event.computation.length > MAX_NAME_CHARS)
        problems.push(`seed ${item.seed}: a ${event.computation.length}-character name was accepted`);
      if (event.type === 'run.requested' && (event.computations?.length ?? 0) > MAX_RUN_COMPUTATIONS)
        problems.push(`seed ${item.seed}: ${event.computations!.length} computations were accepted`);
      if (/\.\.\/|\u001b/.test(text))
        problems.push(`seed ${item.seed}: '../' or an escape was accepted: ${text.slice(0, 120)}`);
    } catch (error) {
      if (!(error instanceof PoisonMessageError)) {
        problems.push(`seed ${item.seed}: ${(error as Error).name}: ${(error as Error).message.slice(0, 200)}`);
        continue;
      }
      poison++;
      if (error.message.length > 5000) problems.push(`seed ${item.seed}: a ${error.message.length}-character refusal`);
      if (/\u001b|\n/.test(error.message)) problems.push(`seed ${item.seed}: a refusal holds a control character`);
    }
  }
  return { cases, accepted, poison, problems };
}
