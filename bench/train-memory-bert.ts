/**
 * train-memory's rows on a synthetic BERT-base (bench/train-memory.ts says what each reads
 * and how to run one row at a time): `npm run bench -- train-memory-bert` →
 * bench/results/train-memory-bert.json.
 */
import { runBert } from './train-memory.js';
import { runIfMain } from './results-file.js';

export const run = runBert;

await runIfMain(import.meta.url, 'train-memory-bert', run);
