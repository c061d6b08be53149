/**
 * WordPiece parity: our tokenizer (@huggingface/tokenizers + template, truncation and
 * padding) against an independent plain-Python BasicTokenizer + WordpieceTokenizer
 * (test/reference/bert_tokenize.py), run at test time on real sentences and pairs from
 * the shared data (never copied into the repo), with the real uncased vocabulary.
 * Hand-written edge cases are covered by the committed goldens (bert-parity.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BertImportError } from '../../src-main/model/bert/errors.js';
import { BertTokenizer, longestFirst, parseVocabTxt, tokenizerJsonFromVocab, wordPieceOptions } from '../../src-main/model/bert/tokenizer.js';
import { projectRoot } from '../../src-main/paths.js';
import { dataDir, fixturesDir } from '../../support/bert-helpers.js';

const vocabPath = join(fixturesDir(), 'tiny-uncased', 'vocab.txt');
const uncased = () => new BertTokenizer(tokenizerJsonFromVocab(parseVocabTxt(readFileSync(vocabPath, 'utf8'))));

interface Row { text: string; pair?: string }

const tsv = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));

/** ≥ 1,000 single sentences and ≥ 600 pairs from several real datasets and formats. */
function realRows(root: string): { singles: Row[]; pairs: Row[] } {
  const at = (p: string) => join(root, p);
  const singles: Row[] = [
    ...tsv(at('glue/SST-2/dev.tsv')).slice(1, 401).map((c) => ({ text: c[0] })),
    ...tsv(at('glue/CoLA/dev.tsv')).slice(0, 300).map((c) => ({ text: c[3] })),
    ...tsv(at('sms-spam/SMSSpamCollection')).slice(0, 300).map((c) => ({ text: c[1] })),
    ...new TextDecoder('latin1').decode(readFileSync(at('trec/train_5500.label'))).split('\n').slice(0, 200)
      .filter((l) => l.includes(' ')).map((l) => ({ text: l.slice(l.indexOf(' ') + 1) })),
  ];
  const pairs: Row[] = [
    ...tsv(at('glue/MRPC/dev.tsv')).slice(1, 201).map((c) => ({ text: c[3], pair: c[4] })),
    ...tsv(at('glue/RTE/dev.tsv')).slice(1, 201).map((c) => ({ text: c[1], pair: c[2] })),
    ...tsv(at('glue/QNLI/dev.tsv')).slice(1, 101).map((c) => ({ text: c[1], pair: c[2] })),
    ...(() => {
      const s1 = readFileSync(at('snli/s1.dev'), 'utf8').split('\n'), s2 = readFileSync(at('snli/s2.dev'), 'utf8').split('\n');
      return s1.slice(0, 150).map((t, i) => ({ text: t, pair: s2[i] }));
    })(),
  ];
  return { singles, pairs };
}

function pythonReference(rows: Row[], maxLength: number): { ids: number[]; type_ids: number[] }[] {
  const r = spawnSync('python3', [join(projectRoot(), 'test', 'reference', 'bert_tokenize.py')], {
    input: JSON.stringify({ vocab: vocabPath, lowercase: true, max_length: maxLength, rows }),
    encoding: 'utf8', maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`bert_tokenize.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout).rows;
}

const hasPython = () => spawnSync('python3', ['--version']).status === 0;

test('WordPiece ids match the Python reference on ≥ 1,000 real sentences and ≥ 600 real pairs', (t) => {
  const root = dataDir();
  if (!existsSync(join(root, 'glue', 'SST-2', 'dev.tsv'))) return t.skip(`shared data not found at ${root} (set TASKPACK_DATA)`);
  if (!hasPython()) return t.skip('python3 is not installed: the tokenizer reference needs it');
  const tok = uncased();
  const { singles, pairs } = realRows(root);
  assert.ok(singles.length >= 1000 && pairs.length >= 600, `${singles.length} singles, ${pairs.length} pairs`);
  // 512 leaves texts whole; 48 truncates many pairs longest-first.
  for (const [rows, maxLength, pair] of [[singles, 512, false], [pairs, 512, true], [pairs, 48, true], [singles, 16, false]] as const) {
    const want = pythonReference([...rows], maxLength);
    let mismatches = 0;
    const first: string[] = [];
    rows.forEach((row, i) => {
      const got = tok.encodeRow(row.text, pair ? row.pair : undefined, maxLength);
      if (JSON.stringify(got.ids) !== JSON.stringify(want[i].ids) || JSON.stringify(got.typeIds) !== JSON.stringify(want[i].type_ids)) {
        mismatches++;
        if (first.length < 3) first.push(`${JSON.stringify(row)}\n  ours ${got.ids.join(' ')}\n  ref  ${want[i].ids.join(' ')}`);
      }
    });
    assert.equal(mismatches, 0, `max_length ${maxLength}, ${pair ? 'pairs' : 'singles'}: ${mismatches}/${rows.length} differ, e.g.\n${first.join('\n')}`);
  }
  t.diagnostic(`${singles.length} singles and ${pairs.length} pairs identical at max_length 512/48/16`);
});

test('longest-first truncation: only the longer text is cut while the shorter fits; otherwise the budget is shared', () => {
  assert.deepEqual(longestFirst(3, 4, 10), [3, 4]);
  assert.deepEqual(longestFirst(3, 10, 8), [3, 5]);
  assert.deepEqual(longestFirst(10, 3, 8), [5, 3]);
  assert.deepEqual(longestFirst(10, 10, 5), [2, 3]);
  assert.deepEqual(longestFirst(10, 9, 5), [3, 2]);
  assert.deepEqual(longestFirst(0, 12, 4), [0, 4]);
});

test('batches pad to the longest row with [PAD], token type 0 and mask 0; pairs need a second text', () => {
  const tok = uncased();
  const b = tok.encodeBatch([{ text: 'hello world', pair: 'hi' }, { text: 'a', pair: 'b' }], true, 512);
  assert.equal(b.seq, 6);
  assert.deepEqual([...b.ids], [101, 7592, 2088, 102, 7632, 102, 101, 1037, 102, 1038, 102, 0]);
  assert.deepEqual([...b.typeIds], [0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0]);
  assert.deepEqual([...b.mask], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  assert.throws(() => tok.encodeBatch([{ text: 'no pair' }], true, 512), /needs a pair text/);
});

test('tokenizer_config.json: do_lower_case false keeps case; bad values and vocabularies are specific errors', () => {
  const vocab = parseVocabTxt(readFileSync(vocabPath, 'utf8'));
  const cased = new BertTokenizer(tokenizerJsonFromVocab(vocab, wordPieceOptions(JSON.stringify({ do_lower_case: false }))));
  assert.deepEqual(cased.tokenize('Hello hello'), [100, 7592]); // 'Hello' is not in the uncased vocab
  assert.throws(() => wordPieceOptions('{"do_lower_case": "yes"}'), /do_lower_case must be true or false/);
  assert.throws(() => parseVocabTxt('[PAD]\na\na\n'), (e: Error) => e instanceof BertImportError && /lines 2 and 3/.test(e.message));
  assert.throws(() => tokenizerJsonFromVocab(['[PAD]', '[UNK]', 'a']), /\[CLS\] is not in the vocabulary/);
  const json = JSON.parse(tokenizerJsonFromVocab(vocab));
  assert.throws(() => new BertTokenizer(JSON.stringify({ ...json, model: { ...json.model, type: 'BPE' } })), /model type "BPE" is not supported/);
  assert.throws(() => new BertTokenizer(JSON.stringify({ ...json, post_processor: { type: 'RobertaProcessing' } })), /post_processor of type "RobertaProcessing"/);
});
