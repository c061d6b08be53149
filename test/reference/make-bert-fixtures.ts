/**
 * Writes the small random-initialised BERT fixtures under test/fixtures/bert/ and their
 * golden outputs from the independent PyTorch reference (run once; results committed):
 *
 *   npx tsx test/reference/make-bert-fixtures.ts      (needs /usr/bin/python3 with python3-torch)
 *
 * tiny-uncased/   config + model.safetensors (F16) + the real uncased vocab.txt + tokenizer_config.json
 * tiny-torch/     config + pytorch_model.bin (written by torch.save; 'bert.' prefix, tied and
 *                 strided tensors) + tokenizer.json over a cut-down real vocabulary
 * golden-*.json   ids, hidden states, pooled and mean outputs of hand-written sentences
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizerJsonFromVocab } from '../../src-main/model/bert/tokenizer.js';
import { projectRoot } from '../../src-main/paths.js';
import { fixturesDir, randomHfBert, tinyConfig, uncasedVocab, writeSafetensors } from '../../support/bert-helpers.js';

const PYTHON = process.env.PYTHON_TORCH ?? '/usr/bin/python3';
const reference = join(projectRoot(), 'test', 'reference', 'bert_reference.py');
const root = fixturesDir();
const vocab = uncasedVocab();

const singles = [
  'Hello, world!',
  "The café's crème brûlée was naïve — wasn't it?",
  '東京は日本の首都です。北京也是。',
  'Supercalifragilisticexpialidocious antidisestablishmentarianism',
  '',
  '   \t  ',
  'A [SEP] inside and [CLS] too',
  'ÀÉÎÕÜ ñ ß Ωmega 😀 emoji',
  "don't stop-believing... (ok?) $100 #1 @home",
  'rare 𠀀ideograph𠀁s and an unassigned a\u0378b code point',
];
const pairs = [
  { text: 'How old are you?', pair: 'I am six years old.' },
  { text: 'The quick brown fox jumps over the lazy dog near the river bank today', pair: 'A fox.' },
  { text: 'Short.', pair: 'This second sentence is considerably longer than the first one and will be cut' },
  { text: 'one two three four five six seven eight nine ten', pair: 'eleven twelve thirteen fourteen fifteen sixteen seventeen' },
];
const cases = (maxPos: number) => ({
  cases: [
    { name: 'singles', pair: false, max_length: maxPos, rows: singles.map((text) => ({ text })) },
    { name: 'singles-truncated', pair: false, max_length: 8, rows: singles.slice(0, 4).map((text) => ({ text })) },
    { name: 'pairs', pair: true, max_length: maxPos, rows: pairs },
    { name: 'pairs-truncated', pair: true, max_length: 13, rows: pairs },
  ],
});

function writeFolder(name: string, files: Record<string, string | Uint8Array>) {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  return dir;
}

function golden(name: string, dir: string, maxPos: number) {
  const rows = join(root, `.rows-${name}.json`);
  writeFileSync(rows, JSON.stringify(cases(maxPos)));
  try {
    execFileSync(PYTHON, [reference, 'golden', '--folder', dir, '--rows', rows, '--out', join(root, `golden-${name}.json`)], { stdio: 'inherit' });
  } finally {
    rmSync(rows, { force: true });
  }
}

// tiny-uncased: the full real vocabulary, weights stored as F16 to keep the file small.
{
  const config = tinyConfig({ vocab_size: vocab.length, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 64, architectures: ['BertModel'] });
  const dir = writeFolder('tiny-uncased', {
    'config.json': JSON.stringify(config, null, 2),
    'model.safetensors': writeSafetensors(randomHfBert(config, 1), 'F16'),
    'vocab.txt': vocab.join('\n') + '\n',
    'tokenizer_config.json': JSON.stringify({ do_lower_case: true, tokenizer_class: 'BertTokenizer' }, null, 2),
  });
  golden('tiny-uncased', dir, config.max_position_embeddings);
}

// tiny-torch: a cut-down real vocabulary (specials, single characters, the first words,
// every '##' single character), 48 wide, a non-default LayerNorm eps; saved by torch.
{
  const keep = vocab.filter((t, i) => i < 3000 || /^##.$/u.test(t));
  const config = tinyConfig({ vocab_size: keep.length, hidden_size: 48, num_hidden_layers: 2, num_attention_heads: 3, intermediate_size: 96, max_position_embeddings: 40, layer_norm_eps: 1e-7, architectures: ['BertForPreTraining'] });
  const dir = writeFolder('tiny-torch', {
    'config.json': JSON.stringify(config, null, 2),
    'tokenizer.json': JSON.stringify(JSON.parse(tokenizerJsonFromVocab(keep)), null, 1),
  });
  const tmp = join(dir, 'tmp.safetensors');
  writeFileSync(tmp, writeSafetensors(randomHfBert(config, 2)));
  execFileSync(PYTHON, [reference, 'to-bin', '--src', tmp, '--out', join(dir, 'pytorch_model.bin')], { stdio: 'inherit' });
  rmSync(tmp);
  golden('tiny-torch', dir, config.max_position_embeddings);
}
console.log(`fixtures written under ${root}`);
