import { didYouMean } from '../../shared/util/nearest.ts';
import type { HclBlock } from './hcl.ts';

export interface BlockSchema {
  attributes: Record<string, { required: boolean }>;
  blocks: Record<string, BlockSchema & { required: boolean; list: boolean }>;
}

export interface ProviderSchema {
  version: string;
  resources: Record<string, BlockSchema>;
  data_sources: Record<string, BlockSchema>;
}

/** Meta-arguments Terraform accepts on every resource and data block. */
const META_ATTRIBUTES = ['count', 'for_each', 'depends_on', 'provider'];
const META_BLOCKS = ['lifecycle', 'provisioner', 'connection'];

/** A `dynamic "NAME" { content { ... } }` stands for blocks NAME with the content's body. */
function expandDynamic(block: HclBlock): HclBlock {
  if (block.type !== 'dynamic') return block;
  const content = block.blocks.find((b) => b.type === 'content');
  const name = block.labels[0] ?? '';
  return {
    ...block,
    type: name,
    labels: [],
    attributes: content?.attributes ?? new Map(),
    blocks: content?.blocks ?? [],
  };
}

function checkBody(where: string, block: HclBlock, schema: BlockSchema, top: boolean, problems: string[]): void {
  const attributes = Object.keys(schema.attributes);
  const blocks = Object.keys(schema.blocks);
  for (const [name, line] of block.attributes) {
    if (schema.attributes[name] !== undefined || (top && META_ATTRIBUTES.includes(name))) continue;
    const hint = schema.blocks[name] !== undefined ? ` (${name} is a block: write ${name} { ... })` : '';
    problems.push(`${block.file}:${line}: ${where}: unknown argument ${name}.${didYouMean(name, attributes)}${hint}`);
  }
  const nested = block.blocks.map(expandDynamic);
  for (const child of nested) {
    const childSchema = schema.blocks[child.type];
    if (childSchema === undefined) {
      if (top && META_BLOCKS.includes(child.type)) continue;
      const hint =
        schema.attributes[child.type] !== undefined ? ` (${child.type} is an argument: write ${child.type} = ...)` : '';
      problems.push(
        `${child.file}:${child.line}: ${where}: unknown block ${child.type}.${didYouMean(child.type, blocks)}${hint}`,
      );
      continue;
    }
    checkBody(`${where}.${child.type}`, child, childSchema, false, problems);
  }
  for (const [name, spec] of Object.entries(schema.attributes)) {
    if (spec.required && !block.attributes.has(name))
      problems.push(`${block.file}:${block.line}: ${where}: the required argument ${name} is missing`);
  }
  for (const [name, spec] of Object.entries(schema.blocks)) {
    if (spec.required && !nested.some((b) => b.type === name))
      problems.push(`${block.file}:${block.line}: ${where}: the required block ${name} is missing`);
  }
}

/**
 * Checks a module's resources and data sources against the provider's
 * schema: every type exists, every argument and nested block is known (with
 * the nearest name when not), every required argument and block is set.
 */
export function checkAgainstSchema(blocks: HclBlock[], schema: ProviderSchema, provider = 'google'): string[] {
  const problems: string[] = [];
  for (const block of blocks) {
    if (block.type !== 'resource' && block.type !== 'data') continue;
    const [type = '', name = ''] = block.labels;
    if (providerOf(block) !== provider) continue;
    const table = block.type === 'resource' ? schema.resources : schema.data_sources;
    const typeSchema = table[type];
    if (typeSchema === undefined) {
      problems.push(
        `${block.file}:${block.line}: ${block.type} type ${type} is not in provider ${provider} ${schema.version}.${didYouMean(type, Object.keys(table))}`,
      );
      continue;
    }
    checkBody(`${type}.${name}`, block, typeSchema, true, problems);
  }
  return problems;
}

/** The provider a block uses: its `provider = NAME`, else its type's prefix (google_*, time_*). */
export function providerOf(block: HclBlock): string {
  return block.values.get('provider') ?? (block.labels[0] ?? '').split('_')[0]!;
}

/** Checks every block against the schema of its own provider; a provider without a schema is a problem. */
export function checkAgainstSchemas(blocks: HclBlock[], schemas: Record<string, ProviderSchema>): string[] {
  const problems = Object.entries(schemas).flatMap(([provider, schema]) =>
    checkAgainstSchema(blocks, schema, provider),
  );
  for (const block of blocks) {
    if ((block.type === 'resource' || block.type === 'data') && schemas[providerOf(block)] === undefined)
      problems.push(`${block.file}:${block.line}: ${block.labels[0]}: no schema of provider ${providerOf(block)}`);
  }
  return problems;
}
