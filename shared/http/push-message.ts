import { HTTP } from 'cloudevents';
import { errorText, PoisonMessageError } from '../errors.ts';
import { quoted } from '../util/safe-text.ts';
import type { ComputeEvent } from '../events/contracts.ts';
import { parseEvent } from '../events/parse.ts';
import { expandRunRequest, type RunMessageRules } from './manual-run.ts';

/** The sweep message of the runs topic, {"action": "sweep"}, as the watchdog's event; null for anything else. */
export function expandSweep(body: unknown, messageId: string | undefined): unknown {
  if (body === null || typeof body !== 'object' || (body as { action?: unknown }).action !== 'sweep') return null;
  const extra = Object.keys(body).filter((key) => key !== 'action');
  if (extra.length > 0)
    throw new PoisonMessageError(
      'INVALID_SWEEP_MESSAGE',
      `The sweep message takes no other field than "action"; got ${quoted(extra.join(', '))}`,
      messageId === undefined ? {} : { messageId },
    );
  return { v: 1, type: 'sweep.requested', runId: `sweep-${messageId ?? Date.now().toString(36)}` };
}

/** A Pub/Sub message as both push bodies and Eventarc events carry it. */
interface PubsubMessage {
  data?: string;
  attributes?: Record<string, string>;
  messageId?: string;
  message_id?: string;
  publishTime?: string;
  publish_time?: string;
}

export interface DeliveredEvent {
  event: ComputeEvent;
  /** Pub/Sub's id of the message (for logs; dedupe uses our own keys). */
  messageId: string | undefined;
  /** 'push' or 'eventarc'. */
  via: 'push' | 'eventarc';
}

function decode(
  message: PubsubMessage | null | undefined,
  via: DeliveredEvent['via'],
  rules: RunMessageRules,
): DeliveredEvent {
  const valid = message !== null && typeof message === 'object';
  const given: unknown = valid ? (message.messageId ?? message.message_id) : undefined;
  // Pub/Sub's ids are digits; ours name runs and log fields, so anything else is refused here.
  if (given !== undefined && (typeof given !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(given)))
    throw new PoisonMessageError(
      'INVALID_PUSH',
      `The ${via} body's message id ${quoted(given)} is not a Pub/Sub message id`,
    );
  const messageId = given;
  if (!valid || typeof message.data !== 'string') {
    throw new PoisonMessageError(
      'INVALID_PUSH',
      `The ${via} body has no message.data${messageId === undefined ? '' : ` (message ${messageId})`}`,
      messageId === undefined ? {} : { messageId },
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(message.data, 'base64').toString('utf8'));
  } catch (cause) {
    throw new PoisonMessageError('INVALID_JSON', `Message ${messageId ?? '(no id)'} is not JSON`, {
      ...(messageId === undefined ? {} : { messageId }),
      cause,
    });
  }
  const publishTime = message.publishTime ?? message.publish_time;
  return {
    event: parseEvent(expandSweep(body, messageId) ?? expandRunRequest(body, messageId, publishTime, rules), messageId),
    messageId,
    via,
  };
}

/**
 * Reads an HTTP request from Pub/Sub: an Eventarc CloudEvent in binary
 * mode (ce-* headers, MessagePublishedData body) or a plain push body
 * ({message, subscription}). Anything that is not one of our events is poison.
 * `rules` are the project's settings a run message is checked against.
 */
export function readPushRequest(
  headers: Record<string, string | string[] | undefined>,
  body: unknown,
  rules: RunMessageRules = {},
): DeliveredEvent {
  if (headers['ce-id'] !== undefined || headers['ce-specversion'] !== undefined) {
    let data: unknown;
    try {
      const flat = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
      const cloudEvent = HTTP.toEvent({ headers: flat, body: typeof body === 'string' ? body : JSON.stringify(body) });
      data = (Array.isArray(cloudEvent) ? cloudEvent[0] : cloudEvent)?.data;
    } catch (cause) {
      throw new PoisonMessageError('INVALID_CLOUDEVENT', `Not a valid CloudEvent: ${quoted(errorText(cause), 200)}`, {
        cause,
      });
    }
    return decode((data as { message?: PubsubMessage } | undefined)?.message, 'eventarc', rules);
  }
  return decode((body as { message?: PubsubMessage } | null)?.message, 'push', rules);
}
