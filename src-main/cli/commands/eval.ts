/** `taskpack eval --pack PACK --data FILE`: GLUE metrics of a pack on a labelled file. */
import { existsSync, readFileSync } from 'node:fs';
import { readingWarnings } from '../../data/index.js';
import { metricsOf } from '../../infer/evaluate.js';
import { importForPack, PackPredictor } from '../../infer/pack-inference.js';
import { glueOption, UsageError, type CommandSpec } from '../command.js';

export function readPackFile(path: unknown): Uint8Array {
  if (typeof path !== 'string') throw new UsageError('--pack PACK is required');
  if (!existsSync(path)) throw new UsageError(`no such file '${path}'`);
  return new Uint8Array(readFileSync(path));
}

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: 'metrics of a task pack on a labelled file',
  synopsis: '--pack PACK --data FILE [--glue TASK] [--text-col C] [--pair-col C] [--label-col C]',
  options: { pack: { type: 'string' }, data: { type: 'string' }, glue: { type: 'string' }, 'text-col': { type: 'string' }, 'pair-col': { type: 'string' }, 'label-col': { type: 'string' } },
  async run(ctx, values) {
    const bytes = readPackFile(values.pack);
    if (typeof values.data !== 'string') throw new UsageError('--data FILE is required');
    const glue = glueOption(values.glue);
    const started = Date.now();
    const model = await PackPredictor.open(ctx.home, bytes, { log: ctx.log });
    try {
      const col = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
      const ds = importForPack(values.data, model.content, { glue, textCol: col('text-col'), pairCol: col('pair-col'), labelCol: col('label-col') });
      const metrics = metricsOf(await model.scores(ds.rows), ds.rows, model.task, ds.source.glue, model.content.provenance.devMetrics);
      ctx.log(`eval: ${ds.rows.length} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const warnings = readingWarnings(ds);
      for (const w of warnings) ctx.log(`warning: ${w}`);
      return { value: { metrics, n: ds.rows.length, ...(warnings.length ? { warnings } : {}) }, human: `${Object.entries(metrics).map(([k, v]) => `${k} ${v!.toFixed(4)}`).join(', ')} (n = ${ds.rows.length})` };
    } finally {
      await model.dispose();
    }
  },
};
