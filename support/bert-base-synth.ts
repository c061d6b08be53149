/**
 * A synthetic BERT-base for memory benchmarks and opt-in checks: the shapes of
 * bert-base-uncased (12 layers, hidden 768, 12 heads, FFN 3072, 30,522 tokens, 512
 * positions; 109.5 M parameters, 438 MB in float32), seeded random weights at BERT's own
 * init scale, and the real uncased vocabulary. Written as a Hugging Face folder (the
 * safetensors file streamed one tensor at a time, so writing it holds one tensor, not the
 * model) and imported through the ordinary `taskpack base import` path. Never committed.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src-main/paths.js';
import { Rng } from '../src-main/util/rng.js';
import { hfBertTensors, initHfTensor, tinyConfig, uncasedVocab, type HfBertConfigJson, type HfInitStd } from './bert-helpers.js';

export const BERT_BASE_ID = 'bert-base-synth';

export const bertBaseConfig = (): HfBertConfigJson => tinyConfig({
  vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  max_position_embeddings: 512, type_vocab_size: 2, architectures: ['BertModel'],
});

/** BERT's initializer_range 0.02, LayerNorm gains 1 and biases 0. */
const BERT_INIT: HfInitStd = { e: 0.02, w: 0.02, b: 0, g: 0 };

/** Write config.json, vocab.txt, tokenizer_config.json and model.safetensors (F32) into `dir`. */
export function writeBertBaseFolder(dir: string, seed = 1): string {
  mkdirSync(dir, { recursive: true });
  const config = bertBaseConfig();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'vocab.txt'), uncasedVocab().join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, tokenizer_class: 'BertTokenizer' }));
  const tensors = hfBertTensors(config);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const { name, dims } of tensors) {
    const bytes = 4 * dims.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape: dims, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(8 + Math.ceil(raw.byteLength / 8) * 8).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(head.byteLength - 8), true);
  head.set(raw, 8);
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  try {
    writeSync(fd, head);
    const rng = new Rng(seed);
    for (const { dims, kind } of tensors) writeSync(fd, new Uint8Array(initHfTensor(rng, dims, kind, BERT_INIT).buffer));
  } finally {
    closeSync(fd);
  }
  return dir;
}

/** Write the folder into `dir` and import it into `home` with the CLI (`taskpack base import DIR --id bert-base-synth`). */
export function importBertBase(home: string, dir: string, seed = 1): string {
  writeBertBaseFolder(dir, seed);
  execFileSync(process.execPath, [join(projectRoot(), 'bin', 'taskpack.js'), 'base', 'import', dir, '--id', BERT_BASE_ID, '--json'],
    { env: { ...process.env, TASKPACK_HOME: home }, stdio: ['ignore', 'ignore', 'inherit'] });
  return BERT_BASE_ID;
}
