import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../shared/adapters/embedded/sqlite-state-store.ts';
import { INLINE_RESULTS, ledgerKey, type BatchContext } from '../../shared/batches/batch-files.ts';
import { cli, json } from '../support/cli.ts';
import { node24Bin, replayDockerfile, startImage, type ReplayedImage } from '../support/dockerfile-replay.ts';
import { emulatorMissing, freePort, startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { startTestIssuer, type TestIssuer } from '../support/oidc.ts';
import { PACKAGE_ROOT } from '../support/temp-project.ts';

const run = promisify(execFile);

/** A `node` on PATH older than the 22 the Google clients need (a system Node 20), or null. */
function olderSystemNode(): string | null {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '' || folder.includes('node_modules')) continue;
    const candidate = join(folder, 'node');
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
    return Number(version.replace(/^v/, '').split('.')[0]) < 22 ? candidate : null;
  }
  return null;
}

/** npm's own entry script for that Node: the npm installed beside it. */
function olderNpm(node: string): string {
  const beside = join(dirname(node), '../lib/node_modules/npm/bin/npm-cli.js');
  return existsSync(beside) ? resolve(beside) : join(dirname(node), 'npm');
}
const D = '2026-01-05';
const VERSION = (JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * From nothing to a running service, as a user goes: `compute init`, `npm
 * install`, `npx compute validate` and `run` in the new project; then the
 * scaffolded Dockerfile built without Docker (no engine here) and the
 * image's `compute serve worker` handling one authenticated push.
 */
describe('compute init, then the image built from its Dockerfile', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let generated: Record<string, unknown>;
  let initFiles: string[];

  beforeAll(async () => {
    if (!existsSync(join(PACKAGE_ROOT, 'dist/shared/index.js')))
      throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    work = await mkdtemp(join(tmpdir(), 'compute-init-'));
    await mkdir(join(work, 'pack'));
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', join(work, 'pack')],
      { cwd: PACKAGE_ROOT },
    );
    tarball = join(work, 'pack', (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
    project = join(work, 'my-project');
    // As the README's getting started does from a clone: the project depends on the packed tarball.
    const init = await cli(['init', project, '--json', '--package', tarball], { cwd: work });
    if (init.code !== 0) throw new Error(`compute init failed: ${init.stderr}`);
    initFiles = json<{ files: string[] }>(init).files;
    generated = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as Record<string, unknown>;
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: project,
      timeout: 240_000,
    });
    // This machine's registry mirror serves DuckDB's bindings for this platform only, so npm leaves the others
    // out of the lock and `npm ci` would refuse it; the public registry serves them all. Fill them in as the repo does.
    await run(process.execPath, [join(PACKAGE_ROOT, 'scripts/complete-lock.mjs'), join(project, 'package-lock.json')]);
  }, 300_000);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('scaffolds package.json naming the package at its version, config, examples, Dockerfile and deploy/', () => {
    expect(generated).toMatchObject({
      name: 'my-project',
      private: true,
      type: 'module',
      dependencies: { 'computation-system': `file:../pack/computation-system-${VERSION}.tgz` },
      devDependencies: { node: '^24.9.0', vitest: expect.stringMatching(/^\^5\./) as unknown },
      scripts: expect.objectContaining({ test: 'vitest run' }) as unknown,
    });
    expect(initFiles).toEqual(
      expect.arrayContaining([
        '.dockerignore',
        '.gitignore',
        '.npmrc',
        'Dockerfile',
        'compute.config.json',
        'computations/daily-active-users.ts',
        'computations/user-activity.ts',
        'data/sample.sql',
        'deploy/main.tf',
        'deploy/variables.tf',
        'package.json',
        'rules/activity.ts',
        'test/computations.test.ts',
        'warehouse.duckdb',
      ]),
    );
  });

  it('ships the scaffold and the Terraform module in the package: the installed compute init makes the same project, on the registry version', async () => {
    const second = join(work, 'second');
    await run('npx', ['--no-install', 'compute', 'init', second], { cwd: project, timeout: 60_000 });
    for (const file of [
      '.gitignore',
      '.dockerignore',
      '.npmrc',
      'Dockerfile',
      'deploy/main.tf',
      'computations/user-activity.ts',
    ])
      expect(await readFile(join(second, file), 'utf8')).toBe(await readFile(join(project, file), 'utf8'));
    // Installed (as from the registry), init names the package's version for the registry to serve.
    const secondManifest = JSON.parse(await readFile(join(second, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(secondManifest.dependencies).toEqual({ 'computation-system': `^${VERSION}` });
    const installed = join(project, 'node_modules/computation-system');
    const deploy = await readFile(join(project, 'deploy/main.tf'), 'utf8');
    expect(deploy).toContain('source = "../node_modules/computation-system/infra/terraform"');
    expect((await readdir(join(installed, 'infra/terraform'))).sort()).toEqual(
      (await readdir(join(PACKAGE_ROOT, 'infra/terraform'))).sort(),
    );
  });

  it('npm install under an older system Node prints no EBADENGINE line per package (the project .npmrc)', async (context) => {
    const older = olderSystemNode();
    if (older === null) {
      context.skip('no Node older than 22 on PATH besides the project one: nothing to warn about here');
      return;
    }
    const npmCli = olderNpm(older);
    const install = (extra: string[]) =>
      run(older, [npmCli, 'install', '--no-save', '--prefer-offline', '--no-audit', '--no-fund', ...extra], {
        cwd: project,
        timeout: 120_000,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
    const engineLines = (text: string) => text.split('\n').filter((line) => line.includes('EBADENGINE'));
    // The control: npm's own default log level shows what a user would otherwise see.
    const loud = await install(['--loglevel=warn']);
    expect(engineLines(loud.stderr).length).toBeGreaterThan(10);
    const quiet = await install([]);
    expect(engineLines(quiet.stderr)).toEqual([]);
    expect(quiet.stderr.trim()).toBe('');
  }, 300_000);

  it('refuses to scaffold over an existing project, naming the files', async () => {
    const again = await cli(['init', project], { cwd: work });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`compute init: ${project} already has package.json, Dockerfile, `);
    expect(again.stderr).toContain('choose an empty or new folder (compute init my-project)');
  });

  it('npx compute validate and npx compute run work at once, with the sample data', async () => {
    const npx = (args: string[]) =>
      run('npx', ['--no-install', 'compute', ...args], { cwd: project, timeout: 120_000 });
    const validate = JSON.parse((await npx(['validate', '--json'])).stdout) as {
      ok: boolean;
      computations: Array<{ name: string; type: string; pass: number }>;
    };
    expect(validate.ok).toBe(true);
    expect(validate.computations.map((c) => [c.name, c.type, c.pass])).toEqual([
      ['UserActivity', 'per-entity', 0],
      ['DailyActiveUsers', 'global', 1],
    ]);
    const ran = JSON.parse((await npx(['run', '--date', D, '--json'])).stdout) as {
      status: string;
      computations: Array<{ name: string; status: string }>;
    };
    expect([ran.status, ...ran.computations.map((c) => `${c.name}=${c.status}`)]).toEqual([
      'completed',
      'UserActivity=completed',
      'DailyActiveUsers=completed',
    ]);
    const shown = JSON.parse(
      (await npx(['show', '--computation', 'DailyActiveUsers', '--date', D, '--json'])).stdout,
    ) as { results: Array<{ result: unknown }> };
    // On January 5th u1 (DE), u2 (FR) and u4 (US) logged in.
    expect(shown.results.map((r) => r.result)).toEqual([{ activeUsers: 3, byCountry: { DE: 1, FR: 1, US: 1 } }]);
    const u1 = JSON.parse(
      (await npx(['show', '--computation', 'UserActivity', '--date', D, '--entity-id', 'u1', '--json'])).stdout,
    ) as { results: Array<{ result: unknown }> };
    expect(u1.results[0]!.result).toEqual({
      loginsToday: 2,
      activeDays: 5,
      level: 'regular',
      devices: ['ios', 'web'],
      country: 'DE',
    });
  }, 180_000);

  describe.skipIf(emulatorMissing('pubsub') !== null)('the image, replayed without Docker', () => {
    let image: ReplayedImage;
    let nodeBin: string;
    let pubsub: Emulator;
    let issuer: TestIssuer;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      if (!process.versions.node.startsWith('24.'))
        throw new Error(`the replay needs Node 24; this is ${process.version}`);
      nodeBin = await node24Bin(join(work, 'node24'), process.execPath);
      image = await replayDockerfile(project, {
        scratch: join(work, 'image'),
        nodeBin,
        runEnv: { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
        // The lockfile names the tarball by a path relative to the project: put it there in the build stage.
        beforeRun: async ({ workdir }) => {
          const lock = JSON.parse(await readFile(join(workdir, 'package-lock.json'), 'utf8')) as {
            packages: Record<string, { resolved?: string }>;
          };
          const resolved = lock.packages['node_modules/computation-system']?.resolved ?? '';
          if (!resolved.startsWith('file:')) return;
          const target = resolve(workdir, resolved.slice('file:'.length));
          await mkdir(dirname(target), { recursive: true });
          await cp(resolve(project, resolved.slice('file:'.length)), target);
        },
      });
      [pubsub, issuer] = await Promise.all([startEmulator('pubsub'), startTestIssuer()]);
    }, 400_000);

    afterAll(async () => {
      if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
      await issuer?.close();
      await pubsub?.stop();
    });

    it('builds on Node 24 slim, production dependencies only, the project code without local data, as a non-root user', async () => {
      expect(image.bases).toEqual(['node:24-slim', 'node:24-slim']);
      expect(image.user).not.toMatch(/^(root|0)(:|$)/);
      expect(image.env).toMatchObject({ NODE_ENV: 'production', PORT: '8080' });
      expect(image.cmd).toEqual(['node', 'node_modules/computation-system/bin/compute.js', 'serve']);
      const modules = await readdir(join(image.workdir, 'node_modules'));
      expect(modules).toContain('computation-system');
      expect(modules).not.toContain('node'); // the dev dependency that brings Node 24 to laptops
      expect(existsSync(join(image.workdir, 'node_modules/computation-system/dist/shared/index.js'))).toBe(true);
      expect(image.copied.sort()).toEqual(
        expect.arrayContaining([
          '/app/computations/user-activity.ts',
          '/app/compute.config.json',
          '/app/rules/activity.ts',
        ]),
      );
      expect(image.copied.filter((f) => /duckdb|\/deploy\/|\/data\/|node_modules|\.compute/.test(f))).toEqual([]);
    });

    it('serves a worker on $PORT: a health check, an unauthenticated push refused, an authenticated one handled', async () => {
      const prefix = uniqueName('img');
      const audience = 'https://compute-worker-abc-ew.a.run.app/';
      const pusher = 'compute-push@demo-compute.iam.gserviceaccount.com';
      process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
      const client = new PubSub({ projectId: 'demo-compute', ...EMULATOR_CLIENT_OPTIONS });
      const [topic] = await client.createTopic(`${prefix}-batch-completions`);
      const [subscription]: [Subscription, ...unknown[]] = await topic.createSubscription(`${prefix}-observer`);
      const blobs = join(work, 'blobs');
      const { stdout } = await run(
        join(nodeBin, 'node'),
        ['node_modules/computation-system/bin/compute.js', 'validate', '--json'],
        { cwd: image.workdir },
      );
      const codeHash = (
        JSON.parse(stdout) as { computations: Array<{ name: string; codeHash: string }> }
      ).computations.find((c) => c.name === 'UserActivity')!.codeHash;
      const context: BatchContext = {
        v: 1,
        runId: 'run-image',
        computation: 'UserActivity',
        date: D,
        batchId: 'b000000',
        codeHash,
        globals: {},
        entities: [
          {
            entityId: 'u2',
            data: {
              user_logins: [
                { entity_id: 'u2', date: '2026-01-02', device: 'android' },
                { entity_id: 'u2', date: D, device: 'android' },
              ],
              users: [{ entity_id: 'u2', country: 'FR' }],
            },
            dependencies: {},
            previous: null,
          },
        ],
      };
      const contextBlob = `runs/run-image/UserActivity/${D}/a0/b000000.context.json`;
      await mkdir(dirname(join(blobs, contextBlob)), { recursive: true });
      await writeFile(join(blobs, contextBlob), JSON.stringify(context));

      // The run the executor would have recorded: a worker checks each batch against its stored run.
      const recorded = new SqliteStateStore(join(work, 'state.sqlite'));
      await recorded.runs.create({
        runId: 'run-image',
        dates: [D],
        trigger: 'manual',
        computations: null,
        force: false,
        status: 'running',
        startedAt: new Date().toISOString(),
        finishedAt: null,
        progress: {},
      });
      await recorded.close();

      const port = await freePort();
      child = startImage(image, nodeBin, {
        PORT: String(port),
        COMPUTE_HOST: '127.0.0.1',
        COMPUTE_SERVICE: 'worker',
        PUBSUB_EMULATOR_HOST: pubsub.host,
        COMPUTE_BUS: JSON.stringify({ type: 'pubsub', projectId: 'demo-compute', topicPrefix: prefix }),
        COMPUTE_STATE: JSON.stringify({ type: 'embedded', path: join(work, 'state.sqlite') }),
        COMPUTE_BLOBS: JSON.stringify({ type: 'local', path: blobs }),
        COMPUTE_API_AUTH: 'token',
        COMPUTE_PUSH_AUDIENCE: audience,
        COMPUTE_PUSH_SERVICE_ACCOUNT: pusher,
        COMPUTE_PUSH_CERTS_URL: issuer.certsUrl,
      });
      let stderr = '';
      await new Promise<void>((ready, fail) => {
        child!.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('listening on')) ready();
        });
        child!.once('exit', (code) => fail(new Error(`the image's service exited with ${code}: ${stderr}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true, service: 'worker', inFlight: 0 });

      const event = {
        v: 1,
        type: 'batch.ready',
        runId: 'run-image',
        date: D,
        computation: 'UserActivity',
        batchId: 'b000000',
        index: 0,
        contextBlob,
        codeHash,
        leaseToken: 1,
        attempt: 0,
      };
      const body = JSON.stringify({
        message: {
          data: Buffer.from(JSON.stringify(event)).toString('base64'),
          messageId: 'img-1',
          publishTime: `${D}T02:00:00Z`,
        },
        subscription: `projects/demo-compute/subscriptions/${prefix}-batches-to-worker`,
      });
      const post = (headers: Record<string, string>) =>
        fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect((await post({})).status).toBe(401);
      const accepted = await post({ authorization: `Bearer ${issuer.sign({ aud: audience, email: pusher })}` });
      expect(accepted.status).toBe(204);

      // The batch's record in the ledger holds its results (inline when small, else in a results blob).
      const store = new SqliteStateStore(join(work, 'state.sqlite'));
      const [record] = await store.ledger.batches(ledgerKey('run-image', 'UserActivity', D, 0));
      await store.close();
      const results =
        record!.resultsBlob === INLINE_RESULTS
          ? { results: record!.results }
          : (JSON.parse(await readFile(join(blobs, record!.resultsBlob!), 'utf8')) as { results: unknown });
      expect(record).toMatchObject({ batchId: 'b000000', succeeded: 1, failed: 0 });
      expect(results.results).toEqual([
        {
          entityId: 'u2',
          result: { loginsToday: 1, activeDays: 2, level: 'occasional', devices: ['android'], country: 'FR' },
        },
      ]);
      const completed = await new Promise<Record<string, unknown>>((done, fail) => {
        const timer = setTimeout(() => fail(new Error('no batch.completed within 20 s')), 20_000);
        subscription.once('message', (message: { data: Buffer; ack(): void }) => {
          clearTimeout(timer);
          message.ack();
          done(JSON.parse(message.data.toString()) as Record<string, unknown>);
        });
      });
      await subscription.close();
      expect(completed).toMatchObject({ type: 'batch.completed', batchId: 'b000000', succeeded: 1, failed: 0 });

      const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await client.close();
    }, 120_000);
  });
});
