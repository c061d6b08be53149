/** `taskpack storage [--tasks N] [--base ID]`: per task, each method and budget's bytes and dev metric (measured packs, estimated full copies, adapters and LoRA). */
import { storageComparison, type Budget, type StorageReport } from '../../packs/storage.js';
import { UsageError, type CommandSpec } from '../command.js';

export const storageCommand: CommandSpec = {
  name: 'storage',
  summary: 'the storage comparison: per task, bytes and dev metric per method and budget, measured or estimated',
  synopsis: '[--tasks N] [--base ID]',
  options: { tasks: { type: 'string' }, base: { type: 'string' } },
  async run(ctx, values) {
    const tasks = values.tasks === undefined ? undefined : Number(values.tasks);
    if (tasks !== undefined && !(Number.isInteger(tasks) && tasks >= 1)) throw new UsageError(`--tasks must be a positive integer, got '${values.tasks}'`);
    const baseId = typeof values.base === 'string' ? values.base : undefined;
    const report = storageComparison(ctx.home, { tasks, baseId }, ctx.log);
    return { value: report, human: storageTable(report) };
  },
};

const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const budgetText = (b: Budget | null) => (b === null ? '' : b.kind === 'sparsity' ? `${(100 * b.value).toPrecision(2)} %` : `${b.kind} ${b.value}`);

/** Per task: its base, then one line per method and budget (estimates marked, the frontier starred). */
function storageTable(r: StorageReport): string {
  const lines = r.groups.flatMap((g) => [
    `${g.name === null ? 'no task trained yet' : `task "${g.name}"`} on base ${g.base.id} (${(g.base.parameters / 1e6).toFixed(2)} M parameters, ${mb(g.base.bytes)}); totals for ${r.tasks} task${r.tasks === 1 ? '' : 's'}`,
    `  ${'method'.padEnd(18)} ${'budget'.padEnd(14)} ${'per task'.padStart(12)} ${'total'.padStart(12)}  ${g.metric ?? 'dev metric'}`,
    ...g.points.map((p) => `${p.frontier ? '* ' : '  '}${p.method.padEnd(18)} ${budgetText(p.budget).padEnd(14)} ${mb(p.bytesPerTask).padStart(12)} ${mb(p.totalBytes).padStart(12)}  ${
      p.estimated ? 'estimated, not trained' : p.metric === null ? '–' : p.metric.toFixed(4)}`),
  ]);
  if (r.unsized.length) lines.push(`not sized (their base is not installed): ${r.unsized.map((u) => `"${u.name}" (${u.baseId})`).join(', ')}`);
  if (r.groups.some((g) => g.points.some((p) => p.frontier))) lines.push('* on the frontier: no other measured point has a metric as high for fewer bytes');
  return lines.join('\n');
}
