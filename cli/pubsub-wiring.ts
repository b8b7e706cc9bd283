import { PubSub } from '@google-cloud/pubsub';
import { PubSubBus } from '../shared/adapters/pubsub/pubsub-bus.ts';
import type { ProjectConfig } from '../shared/project/project-config.ts';

/**
 * Options that keep a Google client on an emulator from looking for
 * credentials: the client asks which universe its credentials belong to
 * before its first call, which off Google Cloud probes the metadata server
 * and prints a MetadataLookupWarning. Naming the universe skips that;
 * `emulatorMode` keeps Pub/Sub on the emulator's plain connection.
 */
export const EMULATOR_CLIENT_OPTIONS = { universeDomain: 'googleapis.com', emulatorMode: true } as const;

/** The Pub/Sub client for a project (it honours PUBSUB_EMULATOR_HOST itself). */
export function pubsubClient(
  project: ProjectConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): PubSub {
  const bus = project.bus;
  return new PubSub({
    ...(bus.type === 'pubsub' && bus.projectId !== undefined ? { projectId: bus.projectId } : {}),
    ...(env.PUBSUB_EMULATOR_HOST ? EMULATOR_CLIENT_OPTIONS : {}),
  });
}

/** The Pub/Sub bus a project's config names; `env` as for pubsubClient. */
export async function openPubSubBus(
  project: ProjectConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<PubSubBus> {
  const bus = project.bus;
  return new PubSubBus(
    pubsubClient(project, env),
    bus.type === 'pubsub' && bus.topicPrefix !== undefined ? { topicPrefix: bus.topicPrefix } : {},
  );
}

export function topicPrefixOf(project: ProjectConfig): string {
  return project.bus.type === 'pubsub' ? (project.bus.topicPrefix ?? 'compute') : 'compute';
}
