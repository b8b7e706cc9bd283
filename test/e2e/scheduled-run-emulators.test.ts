import { EMULATOR_CLIENT_OPTIONS } from '../../cli/pubsub-wiring.ts';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FirestoreStateStore } from '../../shared/adapters/firestore/firestore-state-store.ts';
import { WEEKDAYS } from '../../shared/model/config-schema.ts';
import { cli, json } from '../support/cli.ts';
import { emulatorMissing, uniqueName } from '../support/emulators.ts';
import { emulatorsPerFile } from '../support/topology-hooks.ts';
import { emulatorFirestore } from '../support/firestore.ts';
import { computationFile, scenarioProject } from '../support/scenario.ts';
import type { TempProject } from '../support/temp-project.ts';
import { bootstrap, PROJECT_ID, serve, stop, type Service } from '../support/topology.ts';

const missing = emulatorMissing('pubsub') ?? emulatorMissing('firestore');
const DAY_MS = 86_400_000;

/**
 * What Cloud Scheduler does at 02:00 UTC, on the emulators: the job's
 * message from `compute schedules`, published to the runs topic, starts a
 * run of yesterday (resolved against the publish time) holding only the
 * computations scheduled at 02:00 and due on that date.
 */
describe.skipIf(missing !== null)('a scheduled run on the Pub/Sub and Firestore emulators', () => {
  const emulators = emulatorsPerFile();
  let project: TempProject;
  let services: Service[] = [];
  let store: FirestoreStateStore;
  let prefix: string;
  let yesterday: string;
  let otherDay: string;

  beforeAll(async () => {
    prefix = uniqueName('sched');
    yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    const weekday = WEEKDAYS[new Date(`${yesterday}T00:00:00Z`).getUTCDay()]!;
    otherDay = WEEKDAYS[(WEEKDAYS.indexOf(weekday) + 3) % 7]!;
    project = await scenarioProject({
      entities: 12,
      dates: [yesterday],
      config: {
        state: { type: 'firestore', projectId: PROJECT_ID, collectionPrefix: prefix },
        bus: { type: 'pubsub', projectId: PROJECT_ID, topicPrefix: prefix },
      },
    });
    // Beside the scenario's four daily computations: weekly ones due yesterday and on another day, and one at 18:00.
    await project.write(
      'computations/weekly-due.js',
      computationFile(
        'WeeklyDue',
        { type: 'global', dependencies: ['Summary'], schedule: { frequency: 'weekly', day: weekday } },
        "return { sum: ctx.getDependency('Summary').sum };",
      ),
    );
    await project.write(
      'computations/weekly-other.js',
      computationFile('WeeklyOther', { type: 'global', schedule: { frequency: 'weekly', day: otherDay } }, 'return 1;'),
    );
    await project.write(
      'computations/evening.js',
      computationFile('Evening', { type: 'global', schedule: { time: '18:00' } }, 'return 1;'),
    );
    const env = emulators.env;
    services = await Promise.all([serve(project.root, 'planner,executor', env), serve(project.root, 'worker', env)]);
    await bootstrap(project.root, { executor: services[0]!.url, worker: services[1]!.url }, env);
    store = new FirestoreStateStore(emulatorFirestore(emulators.firestore.host, PROJECT_ID), {
      collectionPrefix: prefix,
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => stop(s)));
    await store?.close();
    await project?.remove();
  });

  it("publishes the 02:00 job's message and runs yesterday's due computations only", async () => {
    const { jobs } = json<{ jobs: Array<{ name: string; topic: string; data: unknown; computations: unknown[] }> }>(
      await cli(['schedules', '--json', '--project', project.root]),
    );
    expect(jobs.map((j) => j.name)).toEqual([`${prefix}-run-0200`, `${prefix}-run-1800`]);
    const job = jobs[0]!;
    expect(job.data).toEqual({ date: 'yesterday', schedule: '02:00' });

    const client = new PubSub({ projectId: PROJECT_ID, ...EMULATOR_CLIENT_OPTIONS });
    // Published twice, as Cloud Scheduler may deliver it (or a publisher's retry): two message ids, one run.
    const data = Buffer.from(JSON.stringify(job.data));
    const ids = [
      await client.topic(job.topic).publishMessage({ data }),
      await client.topic(job.topic).publishMessage({ data }),
    ];
    await client.close();
    expect(ids[0]).not.toBe(ids[1]);
    const runId = `scheduled-0200-${yesterday}`;
    const deadline = Date.now() + 120_000;
    let run = await store.runs.get(runId);
    while (Date.now() < deadline && (run === null || run.status === 'running')) {
      await new Promise((r) => setTimeout(r, 250));
      run = await store.runs.get(runId);
    }
    expect(run).toMatchObject({
      status: 'completed',
      trigger: 'scheduler',
      dates: [yesterday],
      computations: ['Streak', 'Totals', 'Doubled', 'Summary', 'WeeklyDue'],
    });
    const states = (await store.states.list(yesterday)).map((s) => `${s.computation}=${s.status}`).sort();
    expect(states).toEqual([
      'Doubled=completed',
      'Streak=completed',
      'Summary=completed',
      'Totals=completed',
      'WeeklyDue=completed',
    ]);
    expect((await store.runs.list(10)).map((r) => r.runId)).toEqual([runId]);
    expect(states.every((s) => s.endsWith('=completed'))).toBe(true);
    for (const state of await store.states.list(yesterday)) expect(state.runId).toBe(runId);
    const weekly = (await store.states.get(yesterday, 'WeeklyDue'))!;
    expect(weekly.resultHash).not.toBeNull();
    const planner = services[0]!.stdout.find((line) => line.includes(`Scheduled run ${runId}`));
    expect(planner).toContain(`(02:00 UTC) for ${yesterday}: Streak, Totals, Doubled, Summary, WeeklyDue`);
    expect(JSON.parse(planner!).notDue).toEqual([
      { name: 'Evening', reason: 'scheduled at 18:00, not 02:00' },
      {
        name: 'WeeklyOther',
        reason: expect.stringContaining(`not due on ${yesterday}`),
      },
    ]);
  }, 150_000);
});
