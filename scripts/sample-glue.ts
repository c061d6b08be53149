/**
 * Reproducible stratified samples of GLUE's SST-2 and QNLI training data, for the
 * small-data table in docs/results.md:
 *
 *   node dist/scripts/sample-glue.js --glue ../shared/data/glue --out DIR [--sizes 1000,3000] [--seed 1]
 *
 * writes DIR/SST-2/train-<n>.tsv (n rows of SST-2's train.tsv; its dev.tsv is GLUE's) and,
 * as QNLI has only GLUE's dev set here, DIR/QNLI/dev.tsv (the seeded stratified 20 % of it
 * that qnliDevDerivedSplit holds out) and DIR/QNLI/train-<n>.tsv (n rows of the other 80 %),
 * plus DIR/samples.json (rows per label, fingerprints, sha256). One seed's samples are nested
 * (each class is shuffled the same way, only the count taken differs). Each file is the
 * source's own lines, read back and checked row for row. DIR must lie outside the
 * repository (the data is never committed); nothing is written unless every sample fits.
 */
import { createHash } from 'node:crypto';
import { resolve, join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fingerprintRows, importDataset, QNLI_DEV_FRACTION, stratifiedDevIndices, type Dataset } from '../src-main/data/index.js';
import { rowSubsetText } from '../src-main/data/row-subset.js';
import { projectRoot } from '../src-main/paths.js';
import { writeFileAtomic } from '../src-main/durable/atomic.js';

export interface SampleOptions {
  sizes: number[];
  seed: number;
}

export interface SampleRecord {
  /** Relative to the output folder. */
  file: string;
  source: string;
  rows: number;
  /** Rows per class name. */
  labels: Record<string, number>;
  fingerprint: string;
  sha256: string;
}

/** Make the samples under `outDir`; returns what samples.json records. */
export function sampleGlue(glueDir: string, outDir: string, { sizes, seed }: SampleOptions): SampleRecord[] {
  const out = resolve(outDir), rel = relative(projectRoot(), out);
  if (rel === '' || !(rel.startsWith('..') || isAbsolute(rel))) throw new Error(`--out ${outDir} is inside the repository; samples of the datasets must not be committed, pick a folder outside it`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed: ${seed} is not a whole number`);
  for (const n of sizes) if (!(Number.isInteger(n) && n > 0)) throw new Error(`--sizes: ${n} is not a positive whole number of rows`);
  const sst2 = importDataset(join(glueDir, 'SST-2', 'train.tsv'));
  const qnli = importDataset(join(glueDir, 'QNLI', 'dev.tsv'));
  const all = (ds: Dataset) => ds.rows.map((_, i) => i);
  const qnliDev = stratifiedDevIndices(qnli.rows.map((r) => r.label), qnli.task.type, { seed, devFraction: QNLI_DEV_FRACTION });
  const inDev = new Set(qnliDev);
  const qnliTrain = all(qnli).filter((i) => !inDev.has(i));
  const planned = [
    ...(sizes.length ? [{ file: 'QNLI/dev.tsv', ds: qnli, indices: qnliDev }] : []),
    ...sizes.flatMap((n) => [
      { file: `SST-2/train-${n}.tsv`, ds: sst2, indices: sample(sst2, all(sst2), n, seed, "SST-2's train.tsv") },
      { file: `QNLI/train-${n}.tsv`, ds: qnli, indices: sample(qnli, qnliTrain, n, seed, "QNLI's training part") },
    ]),
  ].map((p) => ({ ...p, text: rowSubsetText(p.ds, p.indices) }));

  const records = planned.map(({ file, ds, indices, text }): SampleRecord => {
    const target = join(out, file);
    writeFileAtomic(target, text);
    const rows = indices.map((i) => ds.rows[i]);
    const fingerprint = fingerprintRows(rows, ds.task, ds.labels);
    const back = importDataset(target);
    if (back.fingerprint !== fingerprint) throw new Error(`${target} does not read back as the rows sampled (fingerprint ${back.fingerprint}, expected ${fingerprint})`);
    const labels: Record<string, number> = {};
    for (const r of rows) labels[ds.labels[r.label]] = (labels[ds.labels[r.label]] ?? 0) + 1;
    return { file, source: ds.source.path, rows: rows.length, labels, fingerprint, sha256: createHash('sha256').update(text).digest('hex') };
  });
  writeFileAtomic(join(out, 'samples.json'), JSON.stringify({ seed, sizes, glue: resolve(glueDir), files: records }, null, 2) + '\n');
  return records;
}

/** n of `pool`'s rows, stratified by label, as indices into ds.rows (file order). */
function sample(ds: Dataset, pool: number[], n: number, seed: number, what: string): number[] {
  if (n >= pool.length) throw new Error(`--sizes: ${n} rows asked of ${what}, which has ${pool.length}`);
  const picked = stratifiedDevIndices(pool.map((i) => ds.rows[i].label), ds.task.type, { seed, devFraction: n / pool.length });
  return picked.map((j) => pool[j]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { glue: { type: 'string' }, out: { type: 'string' }, sizes: { type: 'string', default: '1000,3000' }, seed: { type: 'string', default: '1' } } });
  if (!values.glue || !values.out) throw new Error('usage: sample-glue --glue DIR --out DIR [--sizes 1000,3000] [--seed 1]');
  const records = sampleGlue(values.glue, values.out, { sizes: values.sizes.split(',').map(Number), seed: Number(values.seed) });
  for (const r of records) console.log(`${r.file}: ${r.rows} rows ${JSON.stringify(r.labels)}`);
}
