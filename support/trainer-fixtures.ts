/** Shared by the trainer tests: a tiny BERT imported into a temp home and a small synthetic sentiment file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDataset, type Dataset } from '../src-main/data/index.js';
import { importBertFolder } from '../src-main/model/bert/import.js';
import { loadBase } from '../src-main/model/registry.js';
import type { BaseModel } from '../src-main/model/base.js';
import { projectRoot } from '../src-main/paths.js';
import { Rng } from '../src-main/util/rng.js';
import { DEFAULT_CONFIG, type TrainConfig } from '../src-main/train/train-config.js';

export const dataDir = () => process.env.TASKPACK_DATA ?? join(projectRoot(), '..', 'shared', 'data');
export const tinyBertDir = () => join(projectRoot(), 'test', 'fixtures', 'bert', 'tiny-uncased');

export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'taskpack-train-'));
}

/** A home holding the tiny BERT fixture as base 'tiny'. */
export function tinyBert(home = tempHome()): { home: string; base: BaseModel } {
  importBertFolder(tinyBertDir(), home, { id: 'tiny' });
  return { home, base: loadBase(home, 'tiny') };
}

const POSITIVE = ['good', 'great', 'fine', 'happy', 'love', 'nice', 'best', 'fun'];
const NEGATIVE = ['bad', 'awful', 'poor', 'sad', 'hate', 'worst', 'boring', 'ugly'];
const FILLER = ['the', 'movie', 'was', 'a', 'film', 'it', 'and', 'plot', 'very', 'this'];

/** `n` generated rows "sentence<TAB>label": the label is which word list the sentence draws from. */
export function writeSyntheticSentiment(dir: string, name: string, n: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ['sentence\tlabel'];
  for (let i = 0; i < n; i++) {
    const label = i % 2, words = label ? POSITIVE : NEGATIVE, len = 3 + rng.int(6);
    const toks = Array.from({ length: len }, (_, k) => (k % 2 ? words[rng.int(words.length)] : FILLER[rng.int(FILLER.length)]));
    lines.push(`${toks.join(' ')}\t${label}`);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export function syntheticSentiment(dir: string, n: number, seed: number): Dataset {
  return importDataset(writeSyntheticSentiment(dir, `synthetic-${seed}.tsv`, n, seed));
}

/** A short diff-pruning run for the tiny BERT: on 64 rows, 4 steps per phase. */
export const TINY_DIFF_CONFIG: TrainConfig = {
  ...DEFAULT_CONFIG, method: 'diff', epochs: 1, batchSize: 16, maxLength: 16, lr: { diff: 1e-2, gates: 0.1, head: 1e-2, base: 1e-3 },
};
