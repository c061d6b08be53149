/** `taskpack storage [--tasks N] [--base ID]`: what N tasks cost on disk as packs, full copies, adapters and LoRA. */
import { storageComparison } from '../../packs/storage.js';
import { UsageError, type CommandSpec } from '../command.js';

export const storageCommand: CommandSpec = {
  name: 'storage',
  summary: 'the storage-cost comparison as data: base + N task packs vs full copies, adapters and LoRA',
  synopsis: '[--tasks N] [--base ID]',
  options: { tasks: { type: 'string' }, base: { type: 'string' } },
  async run(ctx, values) {
    const tasks = values.tasks === undefined ? undefined : Number(values.tasks);
    if (tasks !== undefined && !(Number.isInteger(tasks) && tasks >= 1)) throw new UsageError(`--tasks must be a positive integer, got '${values.tasks}'`);
    const baseId = typeof values.base === 'string' ? values.base : undefined;
    const report = storageComparison(ctx.home, { tasks, baseId }, ctx.log);
    const mb = (b: number | null) => (b === null ? '–' : `${(b / 2 ** 20).toFixed(2)} MiB`);
    const human = [
      `base ${report.base.id}: ${(report.base.parameters / 1e6).toFixed(2)} M parameters, ${mb(report.base.bytes)}; ${report.tasks} tasks` +
        (report.packs.length === 0 ? ' (no pack installed for this base)' : report.extrapolated ? ` (${report.packs.length} measured, the rest at their mean size)` : ''),
      ...report.options.map((o) => `  ${o.method.padEnd(34)} ${mb(o.totalBytes).padStart(12)}  ${o.ratioToPacks === null ? '' : `×${o.ratioToPacks.toFixed(2)}`}  per task ${mb(o.perTaskBytes)}${o.accuracy === null ? '' : `  dev accuracy ${o.accuracy.toFixed(3)}`}`),
    ].join('\n');
    return { value: report, human };
  },
};
