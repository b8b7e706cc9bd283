// Extracts, from a provider's schema, the resource and data source types
// that infra/terraform uses from that provider, into
// test/fixtures/terraform/PROVIDER-provider.schema.json (google, google-beta
// for the blocks that say `provider = google-beta`, and time for time_*).
// The test test/e2e/terraform-module.test.ts checks the module against it:
// `terraform validate` would download the provider, which cannot happen here.
//
// The schema comes from the jsii assembly of @cdktf/provider-google, which is
// generated from the provider's own schema (16.12.1 is provider 6.50.0). To
// regenerate after changing the module or the provider version:
//
//   mkdir -p /tmp/cdktf-google && cd /tmp/cdktf-google && npm init -y >/dev/null
//   npm install --ignore-scripts --omit=peer @cdktf/provider-google@16.12.1 \
//     @cdktf/provider-google-beta@16.12.1 @cdktf/provider-time@11.0.1
//   cd -  # back to this repository
//   for p in google google-beta time; do
//     node scripts/extract-provider-schema.mjs /tmp/cdktf-google/node_modules/@cdktf/provider-$p/.jsii
//   done
//   npx prettier --write test/fixtures/terraform/*.schema.json
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [assemblyPath, moduleDir = 'infra/terraform', outArgument] = process.argv.slice(2);
if (assemblyPath === undefined) {
  process.stderr.write('usage: node scripts/extract-provider-schema.mjs PATH/TO/.jsii [MODULE_DIR] [OUT]\n');
  process.exit(2);
}

const assembly = JSON.parse(readFileSync(assemblyPath, 'utf8'));
const types = assembly.types;

// Which Terraform type each construct class stands for, from its docs link.
const LINK =
  /registry\.terraform\.io\/providers\/hashicorp\/([\w-]+)\/([\d.]+)\/docs\/(resources|data-sources)\/(\w+) ([a-z]+_\w+)\}/;
const classes = new Map();
let version = null;
let provider = null;
for (const [fqn, type] of Object.entries(types)) {
  if (type.kind !== 'class') continue;
  const match = LINK.exec(type.docs?.summary ?? '');
  if (match === null) continue;
  provider = match[1];
  version = match[2];
  classes.set(`${match[3] === 'resources' ? 'resource' : 'data'}:${match[5]}`, fqn);
}
const out = outArgument ?? `test/fixtures/terraform/${provider}-provider.schema.json`;

/** The Terraform name of a property, from the anchor of its registry link; else the camelCase name in snake_case. */
function tfName(property) {
  const anchor =
    /#(\w+) [\w.]+#\w+\}/.exec(property.docs?.remarks ?? '') ??
    /#(\w+) [\w.]+#\w+\}/.exec(property.docs?.summary ?? '');
  return anchor?.[1] ?? property.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const isStruct = (ref) =>
  ref?.fqn !== undefined && types[ref.fqn]?.kind === 'interface' && types[ref.fqn]?.datatype === true;

/** The struct a property's type holds as a block (single, list or set), or null for an attribute. */
function blockOf(ref) {
  if (isStruct(ref)) return { fqn: ref.fqn, list: false };
  if (ref.collection !== undefined) {
    const inner = blockOf(ref.collection.elementtype);
    return inner === null ? null : { fqn: inner.fqn, list: true };
  }
  if (ref.union !== undefined) {
    for (const member of ref.union.types) {
      const inner = blockOf(member);
      if (inner !== null) return inner;
    }
  }
  return null;
}

function schemaOf(structFqn, seen = new Set()) {
  if (seen.has(structFqn)) return { attributes: {}, blocks: {}, recursive: true };
  const next = new Set(seen).add(structFqn);
  const struct = types[structFqn];
  const properties = [...(struct.properties ?? [])];
  // Config structs extend others (TerraformMetaArguments holds count, for_each...: meta-arguments, checked apart).
  const schema = { attributes: {}, blocks: {} };
  for (const property of properties) {
    const name = tfName(property);
    const required = property.optional !== true;
    const block = blockOf(property.type);
    if (block === null) schema.attributes[name] = { required };
    else schema.blocks[name] = { required, list: block.list, ...schemaOf(block.fqn, next) };
  }
  return schema;
}

/** The provider a block of the module uses: its `provider =`, else the type's prefix (google_*, time_*). */
function providerOf(type, body) {
  const alias = /^\s*provider\s*=\s*([\w-]+)/m.exec(body);
  return alias?.[1] ?? type.split('_')[0];
}

function moduleTypes(dir) {
  const found = new Set();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tf'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const match of text.matchAll(/^(resource|data)\s+"([^"]+)"[^\n]*\n([\s\S]*?)^\}/gm))
      if (providerOf(match[2], match[3]) === provider) found.add(`${match[1]}:${match[2]}`);
  }
  return [...found].sort();
}

const output = {
  provider: `hashicorp/${provider}`,
  version,
  source: `${assembly.name}@${assembly.version} (.jsii assembly); regenerate with scripts/extract-provider-schema.mjs`,
  resources: {},
  data_sources: {},
};
for (const key of moduleTypes(moduleDir)) {
  const [kind, name] = key.split(':');
  const fqn = classes.get(key);
  if (fqn === undefined) {
    process.stderr.write(`${kind} ${name} is not a type of provider ${provider} ${version}\n`);
    continue;
  }
  const config = `${fqn}Config`;
  if (types[config] === undefined) throw new Error(`no config struct ${config}`);
  (kind === 'resource' ? output.resources : output.data_sources)[name] = schemaOf(config);
}
writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
process.stdout.write(
  `${out}: ${Object.keys(output.resources).length} resource and ${Object.keys(output.data_sources).length} data source types of provider ${provider} ${version}\n`,
);
