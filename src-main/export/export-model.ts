/**
 * Export an installed task pack as a standalone model folder (`taskpack export-model`, the
 * Task packs page): the base with the pack applied (θ + δ, patched exactly as the app's
 * inference patches it) and the task head, in one of two formats:
 *   onnx         model.onnx (onnx-model.ts) + config.json + tokenizer files, any base
 *   safetensors  a Hugging Face BertForSequenceClassification folder, BERT bases only
 * Everything is checked before anything is written; the folder is written whole and
 * renamed into place (store/atomic.ts), so it is never left half written.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BaseModel } from '../model/base.js';
import type { ModuleSpec } from '../model/modules.js';
import { readBaseTokenizerJson } from '../model/base-store.js';
import { BertBase } from '../model/bert/model.js';
import type { WeightTensor } from '../model/weights.js';
import { loadBase } from '../model/registry.js';
import { taskSpecOfPack, type PackContent } from '../packs/format.js';
import { PackStore } from '../packs/store.js';
import { LiveBase, patchWeights, preparePatch } from '../packs/swap.js';
import { writeChunks, writeDirAtomic } from '../durable/atomic.js';
import { hfBertTensors, safetensorsChunks } from './hf-bert-weights.js';
import { bertConfigJson, otherConfigJson, pretty, tokenizerFiles, type TaskLabels } from './hf-files.js';
import { encodeTaskModel, exportedInputNames, LOGITS, taskOnnxGraph } from './onnx-model.js';

export const EXPORT_FORMATS = ['onnx', 'safetensors'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportError extends Error {}

export interface ExportOptions {
  /** Replace a non-empty `out`. */
  force?: boolean;
  log?: (line: string) => void;
}

export interface ExportResult {
  format: ExportFormat;
  dir: string;
  pack: { id: string; name: string };
  base: { id: string; architecture: string };
  /** The model's inputs (ONNX) and its output. */
  inputs: string[];
  output: string;
  files: { name: string; bytes: number }[];
}

/** Refuse an `out` that is a file, or a non-empty directory without `force`. */
export function checkExportDir(out: string, force = false): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new ExportError(`${out} exists and is not a directory`);
  if (!force && readdirSync(out).length > 0) throw new ExportError(`${out} is not empty (pass --force to replace it)`);
}

export function exportModel(home: string, packRef: string, format: ExportFormat, out: string, o: ExportOptions = {}): ExportResult {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ExportError(`unknown format '${format}' (${EXPORT_FORMATS.join(' or ')})`);
  checkExportDir(out, o.force);
  const { entry, content } = new PackStore(home).read(packRef);
  const base = loadBase(home, content.base.id, o.log);
  if (format === 'safetensors' && !(base instanceof BertBase)) {
    throw new ExportError(`the pack's base '${base.id}' is ${base.architecture}: safetensors export writes Hugging Face BERT folders only (export it as ONNX)`);
  }
  const adapter = content.module?.kind === 'adapter' ? content.module : undefined;
  if (adapter && format === 'safetensors') {
    throw new ExportError(`“${content.task.name}” is an adapter pack: a Hugging Face BERT folder has no adapter layers (export it as ONNX)`);
  }
  const live = new LiveBase(base);
  const patch = preparePatch(entry.id, content, base); // checks fingerprint and shapes first
  live.activate(patch); // a LoRA pack is merged into the weights here
  try {
    const files = modelFiles(home, base, content, format, patchWeights(patch, base), adapter);
    o.log?.(`writing ${[...files.keys()].join(', ')} into ${out}…`);
    writeDirAtomic(out, (tmp) => {
      for (const [name, data] of files) {
        if (typeof data === 'string') writeFileSync(join(tmp, name), data);
        else writeChunks(join(tmp, name), data);
      }
    }, { replace: existsSync(out) });
    const task = taskSpecOfPack(content);
    return {
      format, dir: out, pack: { id: entry.id, name: content.task.name }, base: { id: base.id, architecture: base.architecture },
      inputs: format === 'onnx' ? exportedInputNames(base, task) : ['input_ids', 'attention_mask', 'token_type_ids'], output: LOGITS,
      files: [...files].map(([name, data]) => ({ name, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.reduce((a, c) => a + c.byteLength, 0) })),
    };
  } finally {
    live.deactivate();
  }
}

/** File name → text, or binary chunks written one after another. */
function modelFiles(home: string, base: BaseModel, content: PackContent, format: ExportFormat, weight: (name: string) => WeightTensor, adapter?: ModuleSpec): Map<string, string | Uint8Array[]> {
  const task: TaskLabels = { task: taskSpecOfPack(content), labels: content.task.labels };
  const maxLength = Math.min(content.task.maxLength, base.maxLength);
  const files = new Map<string, string | Uint8Array[]>();
  if (format === 'onnx') {
    const { bytes, externalData } = encodeTaskModel(taskOnnxGraph(base, task.task, weight, adapter));
    files.set('model.onnx', [bytes]);
    for (const x of externalData) files.set(x.path, [x.data]);
  } else {
    files.set('model.safetensors', safetensorsChunks(hfBertTensors((base as BertBase).config, weight)));
  }
  const config = base instanceof BertBase ? bertConfigJson(base.config, task, base.tokenizer.pad) : otherConfigJson(base.architecture, (base as { config?: unknown }).config, task);
  files.set('config.json', pretty(config));
  for (const [name, text] of tokenizerFiles(base.architecture, readBaseTokenizerJson(home, base.id), maxLength)) files.set(name, text);
  return files;
}
