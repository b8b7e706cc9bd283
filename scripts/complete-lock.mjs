#!/usr/bin/env node
// Adds to package-lock.json the entries of DuckDB's native bindings for the
// platforms this machine's registry does not serve. `npm install` leaves
// them out when it cannot fetch them, and `npm ci` then refuses the lock as
// out of sync. They are optional and skipped on other platforms, so an
// entry with version, os and cpu is all npm needs. Idempotent; plain
// JavaScript so it runs on any Node before `npm ci`. Takes another lock
// file's path as its argument (the e2e test's scaffolded project).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const file =
  process.argv[2] === undefined ? new URL('../package-lock.json', import.meta.url) : resolve(process.argv[2]);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const bindings = packages['node_modules/@duckdb/node-bindings'];
let added = 0;
for (const [name, version] of Object.entries(bindings?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (packages[key] !== undefined) continue;
  const platform = name.slice('@duckdb/node-bindings-'.length);
  const [os, cpu, libc] = platform.split('-');
  packages[key] = {
    version,
    cpu: [cpu],
    license: 'MIT',
    optional: true,
    os: [os],
    ...(os === 'linux' ? { libc: [libc === 'musl' ? 'musl' : 'glibc'] } : {}),
  };
  added++;
}
if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
  );
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
process.stdout.write(`complete-lock: ${added} optional platform entr${added === 1 ? 'y' : 'ies'} added\n`);
