import { PoisonMessageError } from '../errors.ts';
import { boundedText, printable, quoted } from '../util/safe-text.ts';
import { describeIssues } from '../util/zod-problems.ts';
import { eventSchema, type ComputeEvent } from './contracts.ts';

/** Parses a message body; anything that is not a known, valid event is poison. */
export function parseEvent(body: unknown, messageId?: string): ComputeEvent {
  const result = eventSchema.safeParse(body);
  if (result.success) return result.data;
  const type = (body as { type?: unknown } | null)?.type;
  const what = typeof type === 'string' ? `event ${quoted(type, 40)}` : 'message';
  throw new PoisonMessageError(
    'INVALID_EVENT',
    `Invalid ${what}${messageId === undefined ? '' : ` (message ${printable(messageId.slice(0, 100))})`}: ${boundedText(describeIssues(result.error).join('; '), 2000)}`,
    messageId === undefined ? {} : { messageId },
  );
}
