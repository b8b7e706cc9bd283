import type { Problem } from '../../shared/errors.ts';
import { buildManifest } from '../../shared/manifest/build-manifest.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { validateQueries } from '../../shared/warehouse/validate-queries.ts';
import { loadProject, printJson, type Command } from '../command.ts';
import { openPorts } from '../open-ports.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check every computation: configs, names, dependencies, cycles; print passes and code hashes',
  flags: {
    warehouse: {
      type: 'boolean',
      description: 'also check every required table and column against the warehouse schema',
    },
  },
  async run(input) {
    const project = await loadProject(input);
    const { listing, problems, manifest } = await buildManifest(project);
    const warnings: Problem[] = [];
    if (input.flags.warehouse === true) {
      const checked = await warehouseProblems(manifest);
      problems.push(...checked.problems);
      warnings.push(...checked.warnings);
    }
    const ok = problems.length === 0;
    if (input.flags.json === true) {
      printJson(input, {
        ok,
        computations: listing.map(({ name, type, pass, dependencies, codeHash, file }) => ({
          name,
          type,
          pass,
          dependencies,
          codeHash,
          file,
        })),
        errors: problems.map(({ code, message, computation, file }) => ({ code, message, computation, file })),
        warnings: warnings.map(({ code, message, computation }) => ({ code, message, computation })),
      });
      return ok ? 0 : 1;
    }
    const lines: string[] = [];
    for (const item of listing) {
      const pass = item.pass === null ? 'pass ?' : `pass ${item.pass}`;
      const deps = item.dependencies.length > 0 ? `  <- ${item.dependencies.join(', ')}` : '';
      lines.push(`  ${pass.padEnd(7)} ${item.name} (${item.type})  ${item.codeHash?.slice(0, 12) ?? '-'}${deps}`);
    }
    input.io.stdout(`${listing.length} computation(s) in ${project.root}\n${lines.join('\n')}\n`);
    if (warnings.length > 0) {
      input.io.stderr(
        `\n${warnings.length} warning(s):\n${warnings.map((w) => `  - [${w.code}] ${w.message}`).join('\n')}\n`,
      );
    }
    if (ok) {
      input.io.stdout('OK: the manifest is valid.\n');
      return 0;
    }
    input.io.stderr(
      `\n${problems.length} problem(s):\n${problems.map((p) => `  - [${p.code}] ${p.message}`).join('\n')}\n`,
    );
    return 1;
  },
};

async function warehouseProblems(
  manifest: Awaited<ReturnType<typeof buildManifest>>['manifest'],
): Promise<{ problems: Problem[]; warnings: Problem[] }> {
  const opened = await openPorts(manifest, 'reader');
  try {
    const reader = opened.reader;
    return await validateQueries(manifest, reader, systemClock.now().toISOString().slice(0, 10));
  } finally {
    await opened.close();
  }
}
