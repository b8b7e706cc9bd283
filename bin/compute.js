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
// Node marks the TypeScript-stripping and SQLite APIs used here as
// experimental and warns on every start; the warning says nothing a user can
// act on. Filter just those, before the modules that trigger them load.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0]?.type ?? warning?.name);
  if (type === 'ExperimentalWarning' && /stripTypeScriptTypes|SQLite|Type Stripping/i.test(text)) return;
  emitWarning(warning, ...rest);
};
const { main } = await import('../dist/shared/cli/entry.js');
await main();
