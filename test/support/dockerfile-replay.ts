import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  op: string;
  args: string;
}

export function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const out: Instruction[] = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`Dockerfile line not understood: ${line}`);
    out.push({ op: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return out;
}

/** A .dockerignore pattern as a regular expression over context-relative paths (Go filepath.Match plus **). */
function patternRegex(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('')
    .map((c, i, all) => {
      if (c === '*' && all[i + 1] === '*') return '';
      if (c === '*' && all[i - 1] === '*') return '.*';
      if (c === '*') return '[^/]*';
      if (c === '?') return '[^/]';
      return /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/** Whether a context path is left out: a pattern matches it or one of its parent folders. */
export function ignoredBy(patterns: string[]): (path: string) => boolean {
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('negated .dockerignore patterns are not replayed');
  const regexes = patterns.map(patternRegex);
  return (path) => {
    const parts = path.split('/');
    return parts.some((_, i) => regexes.some((r) => r.test(parts.slice(0, i + 1).join('/'))));
  };
}

async function contextFiles(root: string, folder = root): Promise<string[]> {
  const files: string[] = [];
  for (const item of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, item.name);
    if (item.isDirectory()) files.push(...(await contextFiles(root, path)));
    else files.push(relative(root, path).split('\\').join('/'));
  }
  return files;
}

interface Stage {
  name: string | null;
  base: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string;
  cmd: string[] | null;
}

export interface ReplayedImage {
  /** The final stage's file system root on this machine. */
  root: string;
  /** Its working folder on this machine. */
  workdir: string;
  base: string;
  user: string;
  env: Record<string, string>;
  cmd: string[];
  /** Every stage's base image, in order. */
  bases: string[];
  /** Context files copied into the final stage, image paths. */
  copied: string[];
}

export interface ReplayOptions {
  /** Where the stages' file systems are made. */
  scratch: string;
  /** Folder holding `node` (and `npm` run on it) that stands in for the base image's Node. */
  nodeBin: string;
  /** Extra environment for RUN steps (e.g. npm's offline preference). */
  runEnv?: Record<string, string>;
  /** Called before each RUN, to put what a registry would serve where the step finds it. */
  beforeRun?(stage: { root: string; workdir: string }): Promise<void>;
}

/**
 * Builds a Dockerfile without Docker: each stage gets a folder standing for
 * its file system; COPY copies from the build context (less .dockerignore)
 * or from an earlier stage, RUN runs the shell command in the stage's
 * working folder with the stage's ENV and the given Node, and FROM, USER,
 * ENV, EXPOSE and CMD are recorded for the caller to check and start.
 */
export async function replayDockerfile(context: string, options: ReplayOptions): Promise<ReplayedImage> {
  const instructions = parseDockerfile(await readFile(join(context, 'Dockerfile'), 'utf8'));
  const ignorePath = join(context, '.dockerignore');
  const ignored = ignoredBy(
    existsSync(ignorePath)
      ? (await readFile(ignorePath, 'utf8'))
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'))
      : [],
  );
  const available = (await contextFiles(context)).filter((f) => !ignored(f));
  const stages: Stage[] = [];
  let copied: string[] = [];
  const current = () => {
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error('Dockerfile: an instruction before FROM');
    return stage;
  };
  const local = (stage: Stage, imagePath: string) => join(stage.root, imagePath);
  for (const { op, args } of instructions) {
    if (op === 'FROM') {
      const [base, as, name] = args.split(/\s+/);
      const root = join(options.scratch, `stage-${stages.length}`);
      await mkdir(root, { recursive: true });
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name! : null,
        base: base!,
        root,
        workdir: '/',
        env: {},
        user: 'root',
        cmd: null,
      });
      copied = [];
    } else if (op === 'WORKDIR') {
      const stage = current();
      stage.workdir = posix.resolve(stage.workdir, args);
      await mkdir(local(stage, stage.workdir), { recursive: true });
    } else if (op === 'ENV') {
      const stage = current();
      const pairs = args.includes('=') ? args.split(/\s+(?=\w+=)/) : [args.replace(/\s+/, '=')];
      for (const pair of pairs) {
        const [key, ...value] = pair.split('=');
        stage.env[key!] = value.join('=').replace(/^"|"$/g, '');
      }
    } else if (op === 'COPY') {
      const stage = current();
      const words = args.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      const dest = posix.resolve(stage.workdir, paths.pop()!);
      for (const source of paths) {
        if (from !== undefined) {
          const origin = stages.find((s) => s.name === from);
          if (origin === undefined) throw new Error(`COPY --from=${from}: no stage named ${from}`);
          await cp(local(origin, posix.resolve(origin.workdir, source)), local(stage, dest), { recursive: true });
          continue;
        }
        const picked = source === '.' ? available : available.filter((f) => f === source || f.startsWith(`${source}/`));
        if (picked.length === 0)
          throw new Error(`COPY ${source}: not in the build context (or .dockerignore leaves it out)`);
        for (const file of picked) {
          const target =
            source === '.' || source.endsWith('/') ? posix.join(dest, file) : posix.join(dest, posix.basename(file));
          await mkdir(dirname(local(stage, target)), { recursive: true });
          await cp(join(context, file), local(stage, target));
          copied.push(target);
        }
      }
    } else if (op === 'RUN') {
      const stage = current();
      await options.beforeRun?.({ root: stage.root, workdir: local(stage, stage.workdir) });
      await run('sh', ['-c', args], {
        cwd: local(stage, stage.workdir),
        env: { ...process.env, ...stage.env, ...options.runEnv, PATH: `${options.nodeBin}:${process.env.PATH}` },
        timeout: 300_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } else if (op === 'USER') {
      current().user = args;
    } else if (op === 'CMD') {
      current().cmd = JSON.parse(args) as string[];
    } else if (op !== 'EXPOSE' && op !== 'LABEL' && op !== 'ARG') {
      throw new Error(`Dockerfile instruction ${op} is not replayed`);
    }
  }
  const last = current();
  if (last.cmd === null) throw new Error('Dockerfile: the final stage has no CMD');
  return {
    root: last.root,
    workdir: local(last, last.workdir),
    base: last.base,
    user: last.user,
    env: last.env,
    cmd: last.cmd,
    bases: stages.map((s) => s.base),
    copied,
  };
}

/** A folder holding `node` (this Node 24) and an `npm` that runs on it, standing in for a node:24 image's PATH. */
export async function node24Bin(folder: string, node: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const npmCli = join(dirname(await realpath((await run('sh', ['-c', 'command -v npm'])).stdout.trim())), 'npm-cli.js');
  await writeFile(join(folder, 'node'), `#!/bin/sh\nexec "${node}" "$@"\n`);
  await writeFile(join(folder, 'npm'), `#!/bin/sh\nexec "${node}" "${npmCli}" "$@"\n`);
  await chmod(join(folder, 'node'), 0o755);
  await chmod(join(folder, 'npm'), 0o755);
  return folder;
}

/** Starts the image's CMD in its working folder with `env` on top of the image's ENV. */
export function startImage(image: ReplayedImage, nodeBin: string, env: Record<string, string>): ChildProcess {
  const [command, ...args] = image.cmd;
  return spawn(command!, args, {
    cwd: image.workdir,
    env: { ...process.env, ...image.env, ...env, PATH: `${nodeBin}:${process.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
