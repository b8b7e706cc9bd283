// Benchmark child: the input-version lookups of one computation for one date
// (as a run makes them before deciding), timed from an open warehouse so the
// figure is the queries' own cost. Prints the fastest of `repeat` fresh scopes.
import { openReader } from '../../cli/wiring.ts';
import { requireManifest } from '../../shared/manifest/build-manifest.ts';
import { loadProjectConfig } from '../../shared/project/project-config.ts';
import { inputVersionsFor, versionScope } from '../../shared/plan/input-versions.ts';

const [root, date, name, repeat = '5'] = process.argv.slice(2) as [string, string, string, string?];
const project = await loadProjectConfig(root);
const manifest = await requireManifest(project);
const entry = manifest.byName.get(name)!;
const opened = await openReader(project);
let best = Infinity;
let queries = 0;
let versions: Record<string, string> = {};
for (let i = 0; i < Number(repeat); i++) {
  const scope = versionScope(manifest);
  const start = performance.now();
  versions = (await inputVersionsFor(opened.reader, entry, date, scope))?.versions ?? {};
  best = Math.min(best, performance.now() - start);
  queries = scope.queries;
}
await opened.close();
process.stdout.write(JSON.stringify({ ms: best, queries, versions }));
