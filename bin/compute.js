#!/usr/bin/env node
// Entry of the `compute` command. Plain JavaScript so that it can tell a
// user on an old Node what to do instead of failing on syntax.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `computation-system needs Node.js 22.18 or newer (24 LTS recommended); this is ${process.version}.\n` +
      'Install Node 24, or add the "node@24" package to your project and run compute through npx or an npm script.\n',
  );
  process.exit(1);
}
// Filters Node's experimental-feature warnings before anything triggers them.
await import('../dist/shared/cli/quiet-warnings.js');
const { main } = await import('../dist/shared/cli/entry.js');
await main();
