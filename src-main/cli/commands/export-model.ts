/**
 * `taskpack export-model ID --format onnx|safetensors --out DIR [--force]`: an installed
 * pack as a standalone model folder (export/export-model.ts): ONNX for any base, a Hugging
 * Face BertForSequenceClassification folder for BERT bases.
 */
import { EXPORT_FORMATS, exportModel, type ExportFormat } from '../../export/export-model.js';
import { UsageError, type CommandSpec } from '../command.js';

export const exportModelCommand: CommandSpec = {
  name: 'export-model',
  summary: 'a pack merged into its base as a model folder (ONNX; Hugging Face safetensors for BERT)',
  synopsis: 'ID --format onnx|safetensors --out DIR [--force]',
  options: { format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
  maxPositionals: 1,
  async run(ctx, values, positionals) {
    const [id] = positionals;
    if (id === undefined) throw new UsageError('needs the id of an installed pack (see taskpack pack list)');
    const { format, out } = values;
    if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(' or ')}`);
    if (typeof out !== 'string' || out === '') throw new UsageError('needs --out DIR');
    const result = exportModel(ctx.home, id, format as ExportFormat, out, { force: values.force === true, log: ctx.log });
    const human = [
      `exported pack ${result.pack.id} ('${result.pack.name}', base ${result.base.id}) as ${format} into ${out}:`,
      ...result.files.map((f) => `  ${f.name.padEnd(24)} ${f.bytes.toLocaleString('en')} bytes`),
      `inputs ${result.inputs.join(', ')} (int64); output ${result.output}`,
    ].join('\n');
    return { value: result, human };
  },
};
