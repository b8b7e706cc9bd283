import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import express from 'express';
import { UsageError } from '../../shared/errors.ts';
import type { RunRequest } from '../../shared/events/run-request.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { consoleRouter } from '../../shared/console/router.ts';
import { stringFlag } from '../args.ts';
import { loadProject, type Command } from '../command.ts';
import { consoleActions } from '../console-actions.ts';
import { openPorts } from '../open-ports.ts';

/**
 * Starts `compute run` for a request in a child process (the console holds
 * no warehouse lock while idle, and a run outlives the page that started
 * it) and resolves with the run id the child announces.
 */
function spawnRun(cli: string, root: string, request: RunRequest): Promise<{ runId: string }> {
  const args = [cli, 'run', '--date', request.dates[0]!, '--to', request.dates.at(-1)!, '--project', root];
  if (request.computations !== null) args.push('--computation', request.computations.join(','));
  if (request.force) args.push('--force');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    let done = false;
    // It announces 'Run ID: ...' on stderr before the run starts; stdout (the summary) is only drained.
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => {
      if (done) return;
      err = (err + chunk.toString()).slice(-10_000);
      const match = /^Run (\S+):/m.exec(err);
      if (match !== null) {
        done = true;
        resolve({ runId: match[1]! });
      }
    });
    child.once('error', (error) => {
      if (!done) reject(error);
      done = true;
    });
    child.once('exit', (code) => {
      if (!done) reject(new Error(`compute run exited with code ${code} before starting: ${err.trim()}`));
      done = true;
    });
  });
}

export const uiCommand: Command = {
  name: 'ui',
  summary: 'serve the web console over this project (grid, graph, runs, analyze and run) on 127.0.0.1',
  flags: {
    port: { type: 'string', description: 'port to listen on (default 8787; 0 picks a free one)' },
    host: { type: 'string', description: 'address to listen on (default 127.0.0.1)' },
  },
  async run(input) {
    const portText = stringFlag(input.flags, 'port') ?? '8787';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535)
      throw new UsageError(`--port must be a port number; got '${portText}'`);
    const host = stringFlag(input.flags, 'host') ?? '127.0.0.1';
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const { state, close } = await openPorts(project, 'state', { env: input.io.env });
    // The entry script running this command: a run started from the console is `compute run` in a child.
    const cli = process.argv[1]!;
    const actions = consoleActions({
      manifest,
      state,
      // Opened per request and closed after: an idle console holds no lock on the warehouse.
      withReader: async (work) => {
        const opened = await openPorts(manifest, 'reader', { env: input.io.env });
        try {
          return await work(opened.reader);
        } finally {
          await opened.close();
        }
      },
      startRun: async (request) => {
        const started = await spawnRun(cli, project.root, request);
        // The run page needs the run's record: the child writes it as its planner takes the request.
        for (let waited = 0; waited < 15_000 && (await state.runs.get(started.runId)) === null; waited += 100)
          await new Promise((resolve) => setTimeout(resolve, 100));
        return started;
      },
    });
    const app = express();
    app.disable('x-powered-by');
    app.get('/', (_request, response) => response.redirect('/ui/'));
    app.use('/ui', consoleRouter({ manifest, state, actions }));
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(port, host, () => resolve(listening));
      listening.once('error', reject);
    });
    const address = server.address();
    const actual = typeof address === 'object' && address !== null ? address.port : port;
    input.io.stderr(`compute ui on http://${host}:${actual}/ui/ (Ctrl-C stops it)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        server.close();
        server.closeAllConnections();
        resolve();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await close();
    return 0;
  },
};
