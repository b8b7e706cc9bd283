import type { ComputeEvent } from '../shared/events/contracts.ts';
import { STATUS_ICONS } from '../shared/model/statuses.ts';
import type { EventBus } from '../shared/ports/event-bus.ts';
import type { CliIo } from './command.ts';

/**
 * Shows a run's progress on stderr: on a terminal, one line per running
 * computation with batches done / total, redrawn in place; elsewhere, one
 * plain line per finished computation.
 */
export class ProgressDisplay {
  readonly #io: CliIo;
  readonly #runId: string;
  readonly #batches = new Map<string, { done: number; published: number }>();
  /** For a date range: computations per date, and the outcomes seen so far. */
  readonly #perDate: number;
  readonly #outcomes = new Map<string, Record<string, number>>();
  /**
   * Computations whose outcome is shown. Outcomes can be announced more than
   * once (a redelivered pass says so again); each is printed once.
   */
  readonly #finished = new Set<string>();
  #drawn = 0;

  constructor(io: CliIo, runId: string, options: { dates: number; computationsPerDate: number }) {
    this.#io = io;
    this.#runId = runId;
    this.#perDate = options.dates > 1 ? options.computationsPerDate : 0;
  }

  attach(bus: EventBus): void {
    const handle = async (event: ComputeEvent) => this.#on(event);
    bus.subscribe('batches', handle);
    bus.subscribe('batch-completions', handle);
    bus.subscribe('computation-completions', handle);
  }

  #on(event: ComputeEvent): void {
    if (event.runId !== this.#runId) return;
    if (event.type === 'batch.ready' || event.type === 'batch.completed') {
      const key = `${event.date} ${event.computation}`;
      if (this.#finished.has(key)) return;
      const entry = this.#batches.get(key) ?? { done: 0, published: 0 };
      if (event.type === 'batch.ready') entry.published = Math.max(entry.published, event.index + 1);
      else entry.done++;
      this.#batches.set(key, entry);
      if (this.#io.isTty) this.#redraw();
      return;
    }
    if (event.type === 'computation.completed') {
      const key = `${event.date} ${event.computation}`;
      if (this.#finished.has(key)) return;
      this.#finished.add(key);
      const batches = this.#batches.get(key);
      this.#batches.delete(key);
      this.#clear();
      if (this.#perDate === 0) {
        this.#io.stderr(
          `${STATUS_ICONS[event.status] ?? ''} ${key} ${event.status}${batches === undefined ? '' : ` (${batches.done} batch${batches.done === 1 ? '' : 'es'})`}\n`,
        );
      } else {
        // A range prints one line per finished date.
        const tally = this.#outcomes.get(event.date) ?? {};
        tally[event.status] = (tally[event.status] ?? 0) + 1;
        this.#outcomes.set(event.date, tally);
        if (Object.values(tally).reduce((a, b) => a + b, 0) === this.#perDate) {
          const worst = tally.failed
            ? 'failed'
            : tally.partial
              ? 'partial'
              : tally.impossible
                ? 'impossible'
                : tally.blocked
                  ? 'blocked'
                  : 'completed';
          this.#io.stderr(
            `${STATUS_ICONS[worst]} ${event.date}: ${Object.entries(tally)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ')}\n`,
          );
        }
      }
      if (this.#io.isTty) this.#redraw();
    }
  }

  #clear(): void {
    if (!this.#io.isTty || this.#drawn === 0) return;
    this.#io.stderr(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }

  #redraw(): void {
    this.#clear();
    const lines = [...this.#batches].map(([key, { done, published }]) => `  … ${key}: ${done}/${published}+ batches`);
    if (lines.length > 0) this.#io.stderr(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }

  finish(): void {
    this.#clear();
  }
}
