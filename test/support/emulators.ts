import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export type EmulatorKind = 'firestore' | 'pubsub';

export interface Emulator {
  /** host:port on the loopback address. */
  host: string;
  stop(): Promise<void>;
}

let cachedRoot: string | null | undefined;

/** The Google Cloud SDK root, from `gcloud info`, or null when gcloud is missing. */
export function sdkRoot(): string | null {
  if (cachedRoot !== undefined) return cachedRoot;
  try {
    cachedRoot =
      execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 30_000,
      }).trim() || null;
  } catch {
    cachedRoot = null;
  }
  return cachedRoot;
}

function command(kind: EmulatorKind, port: number): { file: string; args: string[] } | null {
  const root = sdkRoot();
  if (root === null) return null;
  if (kind === 'firestore') {
    const jar = join(root, 'platform/cloud-firestore-emulator/cloud-firestore-emulator.jar');
    if (!existsSync(jar)) return null;
    return {
      file: 'java',
      args: [
        '-Duser.language=en',
        '-cp',
        jar,
        'com.google.cloud.datastore.emulator.firestore.CloudFirestore',
        'start',
        '--host=127.0.0.1',
        `--port=${port}`,
      ],
    };
  }
  const script = join(root, 'platform/pubsub-emulator/bin/cloud-pubsub-emulator');
  if (!existsSync(script)) return null;
  return { file: script, args: ['--host=127.0.0.1', `--port=${port}`] };
}

/**
 * Why an emulator cannot run here, or null when it can. Under CI=true a
 * missing emulator is an error (tests that need it must not pass by
 * skipping); elsewhere the tests skip with this message.
 */
export function emulatorMissing(kind: EmulatorKind): string | null {
  if (command(kind, 0) !== null) return null;
  const reason = `the ${kind} emulator is not installed (Google Cloud CLI with the ${kind === 'firestore' ? 'cloud-firestore-emulator' : 'pubsub-emulator'} component); tests that need it are skipped`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  process.stderr.write(`SKIP: ${reason}\n`);
  return reason;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return response.status < 500;
  } catch {
    return false;
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Where the suite's global setup (global-emulators.ts) left the host of the emulator every test file shares. */
export const SHARED_EMULATOR_ENV: Record<EmulatorKind, string> = {
  pubsub: 'COMPUTE_TEST_SHARED_PUBSUB',
  firestore: 'COMPUTE_TEST_SHARED_FIRESTORE',
};

/**
 * Starts an emulator on a free loopback port and waits until it answers
 * HTTP; `extraArgs` go to the emulator (e.g. --database-mode=datastore-mode).
 * Without extra arguments, the suite's shared emulator of that kind when
 * there is one (stopping it then is left to the global teardown).
 */
export async function startEmulator(kind: EmulatorKind, extraArgs: string[] = []): Promise<Emulator> {
  const shared = process.env[SHARED_EMULATOR_ENV[kind]];
  if (shared !== undefined && shared !== '' && extraArgs.length === 0) return { host: shared, stop: async () => {} };
  const port = await freePort();
  const spec = command(kind, port);
  if (spec === null) throw new Error(`the ${kind} emulator is not installed`);
  const child = spawn(spec.file, [...spec.args, ...extraArgs], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const deadline = Date.now() + 90_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null) throw new Error(`the ${kind} emulator exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`the ${kind} emulator did not answer on 127.0.0.1:${port} within 90 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { host: `127.0.0.1:${port}`, stop: () => stopProcess(child) };
}

/** A name unique to this test, usable as a collection prefix, topic or project id. */
export function uniqueName(testName: string): string {
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return `${slug}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
