import { UsageError } from '../../shared/errors.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { schedulerJobs, schedulesTfvars } from '../../shared/schedule/jobs.ts';
import { stringFlag } from '../args.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { topicPrefixOf } from '../pubsub-wiring.ts';

const FORMATS = ['text', 'json', 'tfvars'] as const;

export const schedulesCommand: Command = {
  name: 'schedules',
  summary: 'list the Cloud Scheduler jobs the computations need: one per schedule time, as cron in UTC',
  flags: {
    format: {
      type: 'string',
      description:
        'text | json | tfvars (default: text; --json is json). tfvars writes the Terraform variable scheduled_runs: save it as deploy/schedules.auto.tfvars.json',
    },
  },
  async run(input) {
    const format = stringFlag(input.flags, 'format') ?? (input.flags.json === true ? 'json' : 'text');
    if (!(FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got '${format}'`);
    const project = await loadProject(input);
    const manifest = await requireManifest(project);
    const jobs = schedulerJobs(manifest, topicPrefixOf(project));
    if (format === 'json') printJson(input, { jobs });
    else if (format === 'tfvars') printJson(input, schedulesTfvars(jobs));
    else {
      for (const job of jobs) {
        input.io.stdout(
          `${job.name}  cron '${job.cron}' (UTC)  publishes ${JSON.stringify(job.data)} to ${job.topic}\n`,
        );
        for (const c of job.computations) input.io.stdout(`    ${c.name.padEnd(26)} ${c.schedule}\n`);
      }
    }
    return 0;
  },
};
