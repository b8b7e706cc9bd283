import { AsyncLocalStorage } from 'node:async_hooks';

/** The Cloud Logging trace of the request being handled, for every log line it causes. */
const current = new AsyncLocalStorage<string>();

export function withTrace<T>(trace: string | undefined, work: () => Promise<T>): Promise<T> {
  return trace === undefined ? work() : current.run(trace, work);
}

export function currentTrace(): string | undefined {
  return current.getStore();
}

/**
 * The trace of an incoming request as Cloud Logging names it
 * (projects/P/traces/ID), from X-Cloud-Trace-Context (TRACE/SPAN;o=1) or a
 * W3C traceparent (00-TRACE-SPAN-01) header.
 */
export function traceFromHeaders(
  headers: Record<string, string | string[] | undefined>,
  projectId: string | undefined,
): string | undefined {
  if (projectId === undefined) return undefined;
  const cloud = headers['x-cloud-trace-context'];
  const parent = headers.traceparent;
  const id =
    typeof cloud === 'string' ? cloud.split('/')[0] : typeof parent === 'string' ? parent.split('-')[1] : undefined;
  return id !== undefined && /^[0-9a-f]{16,32}$/i.test(id) ? `projects/${projectId}/traces/${id}` : undefined;
}
