import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../../shared/adapters/inprocess/inprocess-bus.ts';
import type { CliIo } from '../../../cli/command.ts';
import { ProgressDisplay } from '../../../cli/progress.ts';

function io(isTty: boolean): CliIo & { err: string } {
  const target = {
    err: '',
    stdout: () => undefined,
    stderr: (t: string) => void (target.err += t),
    env: {},
    cwd: '.',
    isTty,
  };
  return target;
}

const base = { v: 1 as const, runId: 'r', date: '2026-01-26', computation: 'Totals' };

describe('ProgressDisplay', () => {
  it('redraws batches done / published on a terminal, then prints the outcome', async () => {
    const out = io(true);
    const bus = new InProcessBus();
    new ProgressDisplay(out, 'r', { dates: 1, computationsPerDate: 1 }).attach(bus);
    await bus.publish({
      ...base,
      type: 'batch.ready',
      batchId: 'b0',
      index: 0,
      contextBlob: 'runs/r/Totals/2026-01-26/a1/b0.context.json',
      codeHash: 'c',
      leaseToken: 1,
      attempt: 1,
    });
    await bus.publish({
      ...base,
      type: 'batch.ready',
      batchId: 'b1',
      index: 1,
      contextBlob: 'runs/r/Totals/2026-01-26/a1/b0.context.json',
      codeHash: 'c',
      leaseToken: 1,
      attempt: 1,
    });
    await bus.publish({
      ...base,
      type: 'batch.completed',
      batchId: 'b0',
      leaseToken: 1,
      attempt: 1,
      succeeded: 10,
      failed: 0,
    });
    await bus.publish({ ...base, type: 'computation.completed', pass: 0, status: 'completed' });
    await bus.idle();
    expect(out.err).toContain('2026-01-26 Totals: 1/2+ batches');
    expect(out.err).toContain('\x1b[1A\x1b[J');
    expect(out.err).toContain('✅ 2026-01-26 Totals completed (1 batch)\n');
  });

  it('prints one line per finished date for a range, and ignores other runs', async () => {
    const out = io(false);
    const bus = new InProcessBus();
    new ProgressDisplay(out, 'r', { dates: 2, computationsPerDate: 2 }).attach(bus);
    await bus.publish({ ...base, type: 'computation.completed', pass: 0, status: 'completed' });
    await bus.publish({ ...base, runId: 'other', type: 'computation.completed', pass: 0, status: 'failed' });
    await bus.publish({ ...base, computation: 'Summary', type: 'computation.completed', pass: 1, status: 'failed' });
    await bus.idle();
    expect(out.err).toBe('❌ 2026-01-26: 1 completed, 1 failed\n');
  });

  it('prints each outcome once without a terminal, however often it is announced', async () => {
    const out = io(false);
    const bus = new InProcessBus();
    new ProgressDisplay(out, 'r', { dates: 1, computationsPerDate: 2 }).attach(bus);
    for (let i = 0; i < 3; i++) {
      await bus.publish({ ...base, type: 'computation.completed', pass: 0, status: 'completed' });
      await bus.publish({
        ...base,
        computation: 'Spend',
        type: 'computation.completed',
        pass: 0,
        status: 'impossible',
      });
    }
    await bus.idle();
    expect(out.err).toBe('✅ 2026-01-26 Totals completed\n🚫 2026-01-26 Spend impossible\n');
  });

  it('counts a repeated outcome once in a range', async () => {
    const out = io(false);
    const bus = new InProcessBus();
    new ProgressDisplay(out, 'r', { dates: 2, computationsPerDate: 2 }).attach(bus);
    await bus.publish({ ...base, type: 'computation.completed', pass: 0, status: 'completed' });
    await bus.publish({ ...base, type: 'computation.completed', pass: 0, status: 'completed' });
    await bus.idle();
    expect(out.err).toBe('');
    await bus.publish({ ...base, computation: 'Spend', type: 'computation.completed', pass: 0, status: 'completed' });
    await bus.idle();
    expect(out.err).toBe('✅ 2026-01-26: 2 completed\n');
  });
});
