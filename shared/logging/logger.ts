import { pino, type DestinationStream, type LevelWithSilent } from 'pino';
import type { Logger } from '../ports/logger.ts';
import { currentTrace } from './trace.ts';

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * A pino logger writing JSON that Cloud Logging understands: `severity`,
 * `message`, the run/date/computation/entity fields of child loggers under
 * `logging.googleapis.com/labels` as well as at the top level, and the
 * request's `logging.googleapis.com/trace` while a traced request is handled.
 */
export function createLogger(options: {
  destination: DestinationStream;
  level?: LevelWithSilent;
  service?: string;
}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: options.service === undefined ? {} : { serviceContext: { service: options.service } },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const trace = currentTrace();
        return trace === undefined ? {} : { 'logging.googleapis.com/trace': trace };
      },
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
        bindings: (bindings) => {
          const labels: Record<string, string> = {};
          for (const key of ['runId', 'date', 'computation', 'entityId', 'batchId']) {
            if (bindings[key] !== undefined) labels[key] = String(bindings[key]);
          }
          return Object.keys(labels).length === 0 ? bindings : { ...bindings, 'logging.googleapis.com/labels': labels };
        },
      },
    },
    options.destination,
  );
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return createLogger({ destination: { write: () => undefined }, level: 'silent' });
}
