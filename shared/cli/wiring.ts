import { resolve } from 'node:path';
import { SqliteStateStore } from '../adapters/embedded/sqlite-state-store.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { ProjectConfig } from '../project/project-config.ts';

/** Default embedded state file, inside the project's `.compute/` folder. */
export const DEFAULT_STATE_PATH = '.compute/state.sqlite';

/**
 * Opens the state store a project's config names. Cloud clients are built
 * here, in the composition root, and handed to the adapters.
 */
export async function openStateStore(project: ProjectConfig): Promise<StateStore> {
  const config = project.state;
  if (config.type === 'embedded') return new SqliteStateStore(resolve(project.root, config.path ?? DEFAULT_STATE_PATH));
  const [{ Firestore }, { FirestoreStateStore }] = await Promise.all([import('@google-cloud/firestore'), import('../adapters/firestore/firestore-state-store.ts')]);
  const db = new Firestore({ ...(config.projectId === undefined ? {} : { projectId: config.projectId }), ...(config.databaseId === undefined ? {} : { databaseId: config.databaseId }) });
  return new FirestoreStateStore(db, config.collectionPrefix === undefined ? {} : { collectionPrefix: config.collectionPrefix });
}
