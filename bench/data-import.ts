/**
 * Dataset import throughput on the real files, and how much padding length bucketing saves
 * on SST-2 (lengths = whitespace tokens + 2 special tokens, a tokenizer-free proxy).
 * Run alone: `npx tsx bench/data-import.ts` → bench/results/data-import.json.
 */
import { runIfMain } from './results-file.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { epochBatches, lengthBuckets, paddingFraction } from '../src-main/data/batching.js';
import { importDataset } from '../src-main/data/dataset.js';
import { projectRoot } from '../src-main/paths.js';
import { Rng } from '../src-main/util/rng.js';

const FILES = [
  'glue/SST-2/train.tsv', 'glue/CoLA/train.tsv', 'glue/MRPC/train.tsv', 'glue/RTE/train.tsv', 'glue/STS-B/train.tsv',
  'glue/QNLI/dev.tsv', 'trec/train_5500.label', 'sms-spam/SMSSpamCollection', 'snli/s1.dev',
];

export async function run(): Promise<object> {
  const dataDir = process.env.TASKPACK_DATA ?? join(projectRoot(), '..', 'shared', 'data');
  if (!existsSync(dataDir)) return { skipped: `no data under ${dataDir}` };
  const imports = [];
  for (const file of FILES.filter((f) => existsSync(join(dataDir, f)))) {
    importDataset(join(dataDir, file)); // warm-up
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      rows = importDataset(join(dataDir, file)).rows.length;
      times.push(performance.now() - t0);
    }
    const ms = times.sort((a, b) => a - b)[1];
    imports.push({ file, rows, median_ms: +ms.toFixed(1), rows_per_s: Math.round(rows / (ms / 1000)) });
  }
  const padding: Record<string, unknown>[] = [];
  const sst2 = join(dataDir, 'glue/SST-2/train.tsv');
  if (existsSync(sst2)) {
    const lengths = importDataset(sst2).rows.map((r) => r.text.split(/\s+/).length + 2);
    for (const batchSize of [16, 32, 64]) {
      const random = paddingFraction(lengths, lengthBuckets(lengths, batchSize, new Rng(1), 1));
      const bucketed = paddingFraction(lengths, epochBatches(lengths, batchSize, 1, 0));
      const t0 = performance.now();
      epochBatches(lengths, batchSize, 1, 1);
      padding.push({
        batchSize, padding_random: +random.toFixed(4), padding_bucketed: +bucketed.toFixed(4),
        padded_tokens_bucketed_over_random: +((1 - random) / (1 - bucketed)).toFixed(3), epoch_order_ms: +(performance.now() - t0).toFixed(1),
      });
    }
  }
  return { imports, sst2_padding: padding };
}

await runIfMain(import.meta.url, 'data-import', run);
