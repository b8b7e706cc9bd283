import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { errorText } from '../errors.ts';
import type { Logger } from '../ports/logger.ts';

/**
 * A 500 with nothing internal in it (no document path, no client library
 * text): the caller gets a generic text and a correlation id, the log line
 * the error and the same id.
 */
export function internalError(response: Response, log: Logger, fields: Record<string, unknown>, error: unknown): void {
  const correlationId = randomUUID();
  const text = errorText(error);
  log.error({ ...fields, correlationId, error: text }, `Request failed (correlation id ${correlationId}): ${text}`);
  response
    .status(500)
    .json({ error: `Internal error; it was logged with correlation id ${correlationId}`, correlationId });
}
