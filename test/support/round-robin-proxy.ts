import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal HTTP load balancer on loopback, standing in for Cloud Run's
 * front end: each request goes to the next target in turn, and the target's
 * answer (status and body) goes back to the caller. A target that refuses
 * the connection is skipped; when none answers (a service restarting), the
 * request waits and tries again for up to 20 s, as Cloud Run queues
 * requests while an instance starts. A request `drop` picks is answered
 * 204 and never forwarded: a push Pub/Sub counts as delivered and no
 * service ever saw (a message lost without an error). With `timeoutMs`,
 * a request its target has not answered by then is answered 504, as Cloud
 * Run ends a request at the service's request timeout (and as Pub/Sub ends
 * a push at its ack deadline, which the emulator never does: it waits for
 * the answer however long, holding one of its two push slots).
 */
export async function roundRobinProxy(
  targets: string[],
  options: { drop?: (body: string) => boolean; timeoutMs?: number } = {},
): Promise<{ url: string; counts: number[]; dropped: string[]; close(): Promise<void> }> {
  const counts = targets.map(() => 0);
  const dropped: string[] = [];
  let next = 0;
  let closing = false;
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (options.drop?.(body.toString()) === true) {
        dropped.push(body.toString());
        outgoing.writeHead(204).end();
        return;
      }
      const started = Date.now();
      if (options.timeoutMs !== undefined) {
        const timer = setTimeout(() => {
          if (!outgoing.headersSent) outgoing.writeHead(504).end('upstream request timeout');
        }, options.timeoutMs);
        outgoing.once('close', () => clearTimeout(timer));
      }
      // Like a front end with health checks: a target that refuses the connection is skipped.
      const attempt = (tries: number) => {
        const index = next++ % targets.length;
        const target = new URL(targets[index]!);
        const forward = request(
          {
            hostname: target.hostname,
            port: target.port,
            path: incoming.url,
            method: incoming.method,
            headers: incoming.headers,
          },
          (answer) => {
            counts[index]!++;
            if (outgoing.headersSent) return void answer.resume();
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forward.on('error', () => {
          if (outgoing.headersSent) outgoing.destroy();
          else if (tries + 1 < targets.length) attempt(tries + 1);
          else if (!closing && Date.now() - started < 20_000) setTimeout(() => attempt(0), 100);
          else outgoing.writeHead(502).end();
        });
        forward.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Closing drops requests still waiting for a target, as a front end going away does.
  const close = () =>
    new Promise<void>((resolve) => {
      closing = true;
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, counts, dropped, close };
}
