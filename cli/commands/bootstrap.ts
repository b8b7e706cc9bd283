import { UsageError, UserError } from '../../shared/errors.ts';
import { topicName } from '../../shared/adapters/pubsub/pubsub-bus.ts';
import { PUSH_ROUTES, TOPICS } from '../../shared/events/routes.ts';
import { stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { pubsubClient, topicPrefixOf } from '../pubsub-wiring.ts';

/** Long work (a pass, a batch) is acknowledged only when done: give it the longest deadline push allows. */
const ACK_DEADLINE: Record<string, number> = { passes: 600, batches: 600, 'batch-completions': 600 };

const ALREADY_EXISTS = 6;

function alreadyExists(error: unknown): boolean {
  return (error as { code?: number }).code === ALREADY_EXISTS;
}

export const bootstrapCommand: Command = {
  name: 'bootstrap',
  summary:
    'create the topics and push subscriptions for planner, executor and worker URLs (for development and the emulators)',
  flags: {
    'planner-url': { type: 'string', description: 'URL the planner listens on, e.g. http://127.0.0.1:8081/' },
    'executor-url': { type: 'string', description: 'URL the executor listens on' },
    'worker-url': { type: 'string', description: 'URL the workers listen on' },
  },
  async run(input) {
    const urls = {
      planner: stringFlag(input.flags, 'planner-url'),
      executor: stringFlag(input.flags, 'executor-url'),
      worker: stringFlag(input.flags, 'worker-url'),
    };
    for (const [role, url] of Object.entries(urls)) {
      if (url === undefined) throw new UsageError(`--${role}-url is required (all three services need an endpoint)`);
      if (!/^https?:\/\/[^\s]+$/.test(url)) throw new UsageError(`--${role}-url must be an http(s) URL; got '${url}'`);
    }
    const project = await loadProject(input);
    if (project.bus.type !== 'pubsub')
      throw new UserError('CONFIG_INVALID', 'compute bootstrap needs "bus": {"type": "pubsub"} in compute.config.json');
    const client = pubsubClient(project, input.io.env);
    const prefix = topicPrefixOf(project);
    const topics: Array<{ name: string; created: boolean }> = [];
    const subscriptions: Array<{ name: string; topic: string; pushEndpoint: string | null; created: boolean }> = [];
    try {
      for (const topic of TOPICS) {
        const name = topicName(prefix, topic);
        let created = true;
        try {
          await client.createTopic(name);
        } catch (error) {
          if (!alreadyExists(error)) throw error;
          created = false;
        }
        topics.push({ name, created });
        // Which service each topic is pushed to; run-completions has none: a pull subscription for observers.
        const role = PUSH_ROUTES[topic];
        const subscription = role === undefined ? `${name}-pull` : `${name}-to-${role}`;
        const pushEndpoint = role === undefined ? null : urls[role]!;
        const options = {
          ackDeadlineSeconds: ACK_DEADLINE[topic] ?? 60,
          retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 60 } },
          ...(pushEndpoint === null ? {} : { pushConfig: { pushEndpoint } }),
        };
        let subscriptionCreated = true;
        try {
          await client.topic(name).createSubscription(subscription, options);
        } catch (error) {
          if (!alreadyExists(error)) throw error;
          subscriptionCreated = false;
          if (pushEndpoint !== null) await client.subscription(subscription).modifyPushConfig({ pushEndpoint });
        }
        subscriptions.push({ name: subscription, topic: name, pushEndpoint, created: subscriptionCreated });
      }
    } finally {
      await client.close();
    }
    if (input.flags.json === true) printJson(input, { topics, subscriptions });
    else {
      for (const s of subscriptions)
        input.io.stdout(
          `${s.created ? 'created' : 'exists '} ${s.topic} -> ${s.name}${s.pushEndpoint === null ? ' (pull)' : ` -> ${s.pushEndpoint}`}\n`,
        );
    }
    return 0;
  },
};
