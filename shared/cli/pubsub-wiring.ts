import { PubSub } from '@google-cloud/pubsub';
import { PubSubBus } from '../adapters/pubsub/pubsub-bus.ts';
import type { ProjectConfig } from '../project/project-config.ts';

/** The Pub/Sub client for a project (it honours PUBSUB_EMULATOR_HOST itself). */
export function pubsubClient(project: ProjectConfig): PubSub {
  const bus = project.bus;
  return new PubSub(bus.type === 'pubsub' && bus.projectId !== undefined ? { projectId: bus.projectId } : {});
}

export async function openPubSubBus(project: ProjectConfig): Promise<PubSubBus> {
  const bus = project.bus;
  return new PubSubBus(
    pubsubClient(project),
    bus.type === 'pubsub' && bus.topicPrefix !== undefined ? { topicPrefix: bus.topicPrefix } : {},
  );
}

export function topicPrefixOf(project: ProjectConfig): string {
  return project.bus.type === 'pubsub' ? (project.bus.topicPrefix ?? 'compute') : 'compute';
}
