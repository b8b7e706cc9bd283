import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll } from 'vitest';
import { InProcessBus } from '../../shared/adapters/inprocess/inprocess-bus.ts';
import { PubSubBus, topicName } from '../../shared/adapters/pubsub/pubsub-bus.ts';
import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { TOPICS } from '../../shared/events/routes.ts';
import { emulatorMissing, startEmulator, uniqueName, type Emulator } from '../support/emulators.ts';
import { PROJECT_ID } from '../support/topology.ts';
import { eventBusContract } from './event-bus.contract.ts';

eventBusContract('in-process', async () => {
  const bus = new InProcessBus();
  return { bus, close: () => bus.idle() };
});

const missing = emulatorMissing('pubsub');
let emulator: Emulator | undefined;
if (missing === null) {
  beforeAll(async () => {
    emulator = await startEmulator('pubsub');
  }, 120_000);
  afterAll(() => emulator?.stop());
}

/** The bus's pull side (`subscribe`) reads PREFIX-TOPIC-pull: create every topic and that subscription. */
async function openPubSub(name: string): Promise<{ bus: PubSubBus; close(): Promise<void> }> {
  const options = { projectId: PROJECT_ID, apiEndpoint: emulator!.host, ...EMULATOR_CLIENT_OPTIONS };
  const prefix = uniqueName(name);
  const admin = new PubSub(options);
  for (const topic of TOPICS) {
    const [created] = await admin.createTopic(topicName(prefix, topic));
    await created.createSubscription(`${topicName(prefix, topic)}-pull`, { ackDeadlineSeconds: 10 });
  }
  await admin.close();
  const bus = new PubSubBus(new PubSub(options), { topicPrefix: prefix });
  return { bus, close: () => bus.close() };
}

eventBusContract('Pub/Sub (emulator)', openPubSub, { skip: missing, settleMs: 1500 });
