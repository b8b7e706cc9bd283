#!/usr/bin/env node
// Entry of the `compute` command. Plain JavaScript so that it can tell a
// user on an old Node what to do instead of failing on syntax.
const [major, minor] = process.versions.node.split('.').map(Number);
const command = process.argv[2];
if (major < 22 || (major === 22 && minor < 18)) {
  // `compute init` needs nothing newer than Node 20 (no node:sqlite, no type
  // stripping): a user scaffolds with the machine's Node, and the new project
  // brings Node 24 (its "node" dev dependency) for every other command.
  if (command === 'init' && major >= 20) {
    const { main } = await import('../dist/cli/init-entry.js');
    await main();
  } else {
    process.stderr.write(
      `computation-system needs Node.js 22.18 or newer (24 LTS recommended) for ${command === undefined ? 'its commands' : `compute ${command}`}; this is ${process.version}.\n` +
        (major >= 20 ? '`compute init` runs on this Node. ' : '') +
        'In a project made by `compute init`, run `npm install` and then `npx compute ...`: the project brings Node 24 through its "node" dev dependency. ' +
        'Elsewhere, install Node 24.\n',
    );
    process.exitCode = 1;
  }
} else {
  // Filters Node's experimental-feature warnings before anything triggers them.
  await import('../dist/cli/quiet-warnings.js');
  const { main } = await import('../dist/cli/entry.js');
  await main();
}
