/**
 * What exporting a merged model costs at BERT-base size (bert-base-synth: 109.5 M
 * parameters, 438 MB float32, test/models/bert-base-synth.ts): `taskpack export-model` for
 * each format as its own process (wall time and peak RSS from /usr/bin/time), the files it
 * wrote, and, as a check at this size, the exported ONNX model's logits in a fresh session
 * against the app's own inference (PackPredictor) on a few rows.
 * Run alone: `npx tsx bench/export-model.ts` → bench/results/export-model.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBase } from '../src-main/model/registry.js';
import { PackStore } from '../src-main/packs/store.js';
import { projectRoot } from '../src-main/paths.js';
import { importBertBase } from '../support/bert-base-synth.js';
import { appScores, exportedLogits, maxAbsDiff, packFor, ROWS } from '../support/export-fixtures.js';
import { runIfMain } from './results-file.js';

export async function run(): Promise<object> {
  const root = mkdtempSync(join(tmpdir(), 'bench-export-'));
  try {
    const home = join(root, 'home');
    const id = importBertBase(home, join(root, 'folder'));
    const base = loadBase(home, id);
    const bytes = packFor(base, { name: 'nli', type: 'classification', labels: ['entailment', 'neutral', 'contradiction'], pair: true, encoding: 'int8', seed: 1 });
    const pack = new PackStore(home).install(bytes).entry;
    const formats: Record<string, object> = {};
    for (const format of ['onnx', 'safetensors']) {
      const out = join(root, format);
      const t0 = performance.now();
      const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, join(projectRoot(), 'bin', 'taskpack.js'), 'export-model', pack.id, '--format', format, '--out', out],
        { env: { ...process.env, TASKPACK_HOME: home }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`export-model --format ${format} failed: ${r.stderr}`);
      const err = r.stderr;
      const seconds = (performance.now() - t0) / 1000;
      const peakMiB = Number(/maxrss_kb=(\d+)/.exec(err)![1]) / 1024;
      const files = Object.fromEntries(readdirSync(out).map((n) => [n, statSync(join(out, n)).size]));
      formats[format] = { seconds: +seconds.toFixed(2), peakRssMiB: Math.round(peakMiB), files };
    }
    const app = await appScores(home, bytes, ROWS);
    const got = await exportedLogits(join(root, 'onnx'), app.base, app.task, app.maxLength);
    const config = JSON.parse(readFileSync(join(root, 'safetensors', 'config.json'), 'utf8')) as { num_hidden_layers: number };
    return {
      base: { id, parameters: [...base.weights.values()].reduce((a, t) => a + t.data.length, 0), weightBytes: [...base.weights.values()].reduce((a, t) => a + t.data.byteLength, 0), layers: config.num_hidden_layers },
      pack: { nnz: pack.nnz, bytes: pack.bytes },
      formats,
      onnxParity: { rows: ROWS.length, maxAbsLogitDiff: maxAbsDiff(got.logits, app.scores), maxAbsLogit: Math.max(...app.scores.map(Math.abs)) },
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await runIfMain(import.meta.url, 'export-model', run);
