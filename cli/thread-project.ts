// What a worker thread is given instead of loading the project itself: the
// parent's parsed config and manifest as plain data (the thread imports
// only the user modules, whose classes cannot cross), and the parent's
// state store, reached through messages.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Manifest, ManifestEntry } from '../shared/manifest/manifest.ts';
import { computationConfigSchema } from '../shared/model/config-schema.ts';
import { isComputationClass } from '../shared/model/computation.ts';
import type { StateStore } from '../shared/ports/state-store.ts';
import type { ProjectConfig } from '../shared/project/project-config.ts';
import { importUserModule } from '../shared/project/load-computations.ts';

/** A manifest entry without its class (and config, which may hold functions): what crosses to a thread. */
export type ThreadEntry = Omit<ManifestEntry, 'Class' | 'config'>;

export interface ThreadProject {
  project: ProjectConfig;
  entries: ThreadEntry[];
}

/** The parent's side: its loaded project as plain data, for a thread's workerData. */
export function threadProject(manifest: Manifest): ThreadProject {
  return {
    project: manifest.project,
    entries: manifest.computations.map(
      ({ name, file, pass, dependents, codeHash, layerHashes, ruleHashes, ruleFiles }) => ({
        name,
        file,
        pass,
        dependents,
        codeHash,
        layerHashes,
        ruleHashes,
        ruleFiles,
      }),
    ),
  };
}

/**
 * The thread's side: the parent's manifest, with each computation's class
 * imported from its file (named by the content, as the parent imported it)
 * and its config read from that class. A file changed since the parent
 * loaded it gives a class whose config the parent did not check: refused.
 */
export async function threadManifest({ project, entries }: ThreadProject): Promise<Manifest> {
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  const importOnce = (file: string) => {
    const path = resolve(project.root, file);
    let loaded = modules.get(path);
    if (loaded === undefined) {
      loaded = readFile(path).then((text) =>
        importUserModule(path, createHash('sha256').update(text).digest('hex').slice(0, 16)),
      );
      modules.set(path, loaded);
    }
    return loaded;
  };
  const computations: ManifestEntry[] = [];
  for (const entry of entries) {
    const module = await importOnce(entry.file);
    let found: ManifestEntry | undefined;
    for (const Class of Object.values(module)) {
      if (!isComputationClass(Class)) continue;
      const parsed = computationConfigSchema.safeParse(Class.getConfig());
      if (parsed.success && parsed.data.name === entry.name) found = { ...entry, Class, config: parsed.data };
    }
    if (found === undefined)
      throw new Error(
        `${entry.file} no longer exports computation '${entry.name}' with a valid config: it changed after the run loaded the project`,
      );
    computations.push(found);
  }
  const passes: string[][] = [];
  for (const entry of computations) (passes[entry.pass] ??= []).push(entry.name);
  return { project, computations, byName: new Map(computations.map((e) => [e.name, e])), passes };
}

const AREAS = ['states', 'runs', 'leases', 'ledger', 'history'] as const;
type Area = (typeof AREAS)[number];

/** A state-store call a thread asks its parent to make. */
export interface StateCall {
  type: 'state';
  call: number;
  area: Area;
  method: string;
  args: unknown[];
}

export type StateAnswer =
  | { type: 'state-answer'; call: number; value: unknown }
  | { type: 'state-answer'; call: number; error: { message: string; name: string; code?: string } };

/** The thread's state store: every call is made by the parent, on its own store. */
export function stateThroughParent(send: (call: StateCall) => void): {
  state: StateStore;
  answer: (answer: StateAnswer) => void;
} {
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  const area = (name: Area) =>
    new Proxy(
      {},
      {
        get: (_target, method) =>
          typeof method !== 'string' || method === 'then'
            ? undefined
            : (...args: unknown[]) =>
                new Promise((resolve, reject) => {
                  const call = next++;
                  waiting.set(call, { resolve, reject });
                  send({ type: 'state', call, area: name, method, args });
                }),
      },
    );
  const state = {
    ...(Object.fromEntries(AREAS.map((name) => [name, area(name)])) as Omit<StateStore, 'close'>),
    close: async () => undefined,
  };
  return {
    state,
    answer: (answer) => {
      const pending = waiting.get(answer.call);
      if (pending === undefined) return;
      waiting.delete(answer.call);
      if ('error' in answer) {
        const { message, name, code } = answer.error;
        pending.reject(Object.assign(new Error(message), { name }, code === undefined ? {} : { code }));
      } else pending.resolve(answer.value);
    },
  };
}

/** The parent's side: makes a thread's state-store call and answers it. */
export async function answerStateCall(state: StateStore, call: StateCall): Promise<StateAnswer> {
  try {
    if (!(AREAS as readonly string[]).includes(call.area)) throw new Error(`no state area '${call.area}'`);
    const target = state[call.area] as unknown as Record<string, unknown>;
    const method = target[call.method];
    if (call.method === 'constructor' || typeof method !== 'function')
      throw new Error(`no state method ${call.area}.${call.method}`);
    const value: unknown = await (method as (...args: unknown[]) => unknown).apply(target, call.args);
    return { type: 'state-answer', call: call.call, value };
  } catch (error) {
    const { message, name, code } = error as { message?: unknown; name?: unknown; code?: unknown };
    return {
      type: 'state-answer',
      call: call.call,
      error: {
        message: typeof message === 'string' ? message : String(error),
        name: typeof name === 'string' ? name : 'Error',
        ...(typeof code === 'string' ? { code } : {}),
      },
    };
  }
}
