import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_ROUTES, TOPICS } from '../../shared/events/routes.ts';
import { parseHcl, parseModule, type HclBlock } from '../support/hcl.ts';
import { PACKAGE_ROOT } from '../support/temp-project.ts';
import {
  checkAgainstSchema,
  checkAgainstSchemas,
  providerOf,
  type ProviderSchema,
} from '../support/terraform-schema.ts';

const run = promisify(execFile);
const MODULE = join(PACKAGE_ROOT, 'infra/terraform');
const DEPLOY = join(PACKAGE_ROOT, 'templates/project/deploy');

let schema: ProviderSchema;
let schemas: Record<string, ProviderSchema>;
beforeAll(async () => {
  const load = async (provider: string) =>
    JSON.parse(
      await readFile(join(PACKAGE_ROOT, `test/fixtures/terraform/${provider}-provider.schema.json`), 'utf8'),
    ) as ProviderSchema;
  schemas = { google: await load('google'), 'google-beta': await load('google-beta'), time: await load('time') };
  schema = schemas.google!;
});

describe('the Terraform module (infra/terraform) and the scaffold deploy/ root', () => {
  it('is formatted: terraform fmt -check -recursive', async () => {
    const result = await run('terraform', ['fmt', '-check', '-recursive', '-diff', MODULE, DEPLOY], {
      env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' },
    }).catch((error: { code: number; stdout: string }) => error);
    expect('code' in result ? result.stdout : '').toBe('');
  });

  it('uses only resource types, arguments and blocks that providers google and google-beta 6.50.0 and time 0.13.1 have, with every required one set', () => {
    expect(schema.version).toBe('6.50.0');
    expect(schemas['google-beta']!.version).toBe('6.50.0');
    expect(schemas.time!.version).toBe('0.13.1');
    const problems = checkAgainstSchemas(parseModule(MODULE), schemas);
    expect(problems).toEqual([]);
  });

  it('has every type it uses in the extracted schema (run scripts/extract-provider-schema.mjs after adding one)', () => {
    const used = parseModule(MODULE).filter((b) => b.type === 'resource');
    expect(
      used.filter((b) => schemas[providerOf(b)]?.resources[b.labels[0]!] === undefined).map((b) => b.labels[0]),
    ).toEqual([]);
    expect(new Set(used.map((b) => b.labels[0])).size).toBeGreaterThanOrEqual(20);
  });

  it('asks for a provider version the schema was checked against', async () => {
    const versions = await readFile(join(MODULE, 'versions.tf'), 'utf8');
    expect(versions.match(/version = ">= 6.50, < 7.0"/g)).toHaveLength(2);
    expect(versions).toContain('version = ">= 0.13, < 1.0"');
    // The deploy/ root states none of its own, so the two cannot drift apart.
    expect(await readFile(join(DEPLOY, 'main.tf'), 'utf8')).not.toMatch(/^\s*version\s*=/m);
  });

  it('creates the topics and push subscriptions compute bootstrap would, by the same names', async () => {
    const main = await readFile(join(MODULE, 'main.tf'), 'utf8');
    const routes = Object.fromEntries(
      [...main.matchAll(/^\s+"([a-z-]+)"\s+=\s+\{ role = "(\w+)"/gm)].map((m) => [m[1], m[2]]),
    );
    expect(routes).toEqual(PUSH_ROUTES);
    expect(main).toContain('topics = concat(keys(local.routes), ["run-completions"])');
    expect(new Set([...Object.keys(routes), 'run-completions'])).toEqual(new Set(TOPICS));
    const pubsub = await readFile(join(MODULE, 'pubsub.tf'), 'utf8');
    expect(pubsub).toContain('name                 = "${local.prefix}-${each.key}-to-${each.value.role}"');
    expect(pubsub).toContain('name                       = "${local.prefix}-run-completions-pull"');
  });

  it('gives every push subscription an OIDC token, a retry policy and a dead-letter topic that has a subscription', () => {
    const blocks = parseModule(MODULE);
    const push = blocks.find((b) => b.labels.join('.') === 'google_pubsub_subscription.push')!;
    const pushConfig = push.blocks.find((b) => b.type === 'push_config')!;
    expect(pushConfig.blocks.map((b) => b.type)).toEqual(['oidc_token']);
    expect(push.blocks.map((b) => b.type).sort()).toEqual([
      'dead_letter_policy',
      'expiration_policy',
      'push_config',
      'retry_policy',
    ]);
    const holders = blocks.find((b) => b.labels.join('.') === 'google_pubsub_subscription.dead_letters')!;
    expect(holders.attributes.has('topic')).toBe(true);
  });

  it('leaves no service open to unauthenticated callers', async () => {
    const text = (await Promise.all(['iam.tf', 'run.tf'].map((f) => readFile(join(MODULE, f), 'utf8')))).join('\n');
    expect(text).not.toMatch(/allUsers|allAuthenticatedUsers/);
    expect(text).toContain('COMPUTE_SERVICE');
    const main = await readFile(join(MODULE, 'main.tf'), 'utf8');
    expect(main).toMatch(/COMPUTE_API_AUTH\s+= "iam"/);
    // Issue 20: events on / only from the push account, whoever else holds run.invoker.
    expect(main).toMatch(/COMPUTE_PUSH_SERVICE_ACCOUNT\s+= google_service_account\.push\.email/);
  });

  it('gives every service a liveness probe on /health, so an instance that stops answering is replaced', async () => {
    const services = parseModule(MODULE).filter(
      (b) => b.type === 'resource' && b.labels[0] === 'google_cloud_run_v2_service',
    );
    // One resource for both services (for_each): its container has the probe.
    expect(services).toHaveLength(1);
    expect(JSON.stringify(services[0])).toContain('"type":"liveness_probe"');
    const text = await readFile(join(MODULE, 'run.tf'), 'utf8');
    expect(text).toMatch(/liveness_probe \{\s*http_get \{\s*path = "\/health"/);
  });

  it('the deploy/ root passes the module only variables it declares, and every one without a default', () => {
    const variables = parseModule(MODULE).filter((b) => b.type === 'variable');
    const module = parseModule(DEPLOY).find((b) => b.type === 'module')!;
    const given = [...module.attributes.keys()].filter((a) => a !== 'source');
    const declared = variables.map((v) => v.labels[0]!);
    expect(given.filter((a) => !declared.includes(a))).toEqual([]);
    const required = variables.filter((v) => !v.attributes.has('default')).map((v) => v.labels[0]!);
    expect(required.filter((r) => !given.includes(r))).toEqual([]);
  });
});

describe('the schema check catches mistakes (negative controls)', () => {
  let copy: string;
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'compute-tf-'));
    await cp(MODULE, copy, { recursive: true });
  });
  afterAll(() => rm(copy, { recursive: true, force: true }));

  async function withEdit(file: string, from: string, to: string): Promise<string[]> {
    const original = await readFile(join(copy, file), 'utf8');
    expect(original).toContain(from);
    await writeFile(join(copy, file), original.replace(from, to));
    try {
      return checkAgainstSchema(parseModule(copy), schema);
    } finally {
      await writeFile(join(copy, file), original);
    }
  }

  it('a misspelled argument', async () => {
    const problems = await withEdit(
      'pubsub.tf',
      'ack_deadline_seconds = each.value.ack_deadline',
      'ack_deadline_second = each.value.ack_deadline',
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^pubsub\.tf:\d+: google_pubsub_subscription\.push: unknown argument ack_deadline_second\. Did you mean 'ack_deadline_seconds'\?/,
      ),
    ]);
  });

  it('a misspelled nested block and an argument deep inside one', async () => {
    expect(await withEdit('pubsub.tf', 'oidc_token {', 'oidc_tokens {')).toEqual([
      expect.stringContaining('google_pubsub_subscription.push.push_config: unknown block oidc_tokens.'),
    ]);
    expect(await withEdit('run.tf', 'startup_cpu_boost = true', 'startup_cpu_bost = true')).toContainEqual(
      expect.stringContaining(
        'google_cloud_run_v2_service.services.template.containers.resources: unknown argument startup_cpu_bost',
      ),
    );
  });

  it('a missing required argument', async () => {
    expect(await withEdit('scheduler.tf', 'topic_name = google_pubsub_topic.topics["runs"].id\n', '')).toContainEqual(
      expect.stringContaining(
        'google_cloud_scheduler_job.scheduled_runs.pubsub_target: the required argument topic_name is missing',
      ),
    );
  });

  it('a resource type the provider does not have', async () => {
    expect(
      await withEdit(
        'pubsub.tf',
        'resource "google_pubsub_topic" "topics"',
        'resource "google_pubsub_topics" "topics"',
      ),
    ).toContainEqual(expect.stringContaining('resource type google_pubsub_topics is not in provider google 6.50.0'));
  });

  it('a block written as an argument', async () => {
    const problems = await withEdit(
      'pubsub.tf',
      'expiration_policy {\n    ttl = ""\n  }',
      'expiration_policy = { ttl = "" }',
    );
    expect(problems).toContainEqual(
      expect.stringContaining('unknown argument expiration_policy. (expiration_policy is a block'),
    );
  });
});

describe('the HCL reader', () => {
  it('reads blocks, labels, dynamic blocks and attributes, skipping expressions, strings and heredocs', () => {
    const blocks: HclBlock[] = parseHcl(
      `resource "t" "n" {
  a = "x \${jsonencode({ b = "}" })} y" # comment { not a block
  m = {
    k = [1, 2]
  }
  h = <<-EOT
    text } with braces {
  EOT
  dynamic "env" {
    for_each = local.e
    content {
      name = env.key
    }
  }
  inner {}
}
`,
      'x.tf',
    );
    expect(blocks.map((b) => [b.type, b.labels, [...b.attributes.keys()], b.blocks.map((c) => c.type)])).toEqual([
      ['resource', ['t', 'n'], ['a', 'm', 'h'], ['dynamic', 'inner']],
    ]);
  });
});
