/**
 * Inference speed of the shipped base (USE-lite) on the CPU, side by side in one run:
 *   ort        — our DSL graph on ONNX Runtime (session time on pre-tokenised feeds)
 *   tfjs_wasm  — TF.js 3.21's WASM backend (XNNPACK, SIMD) executing the package's model.json
 *   floor      — the model's MatMuls alone on ORT, at the same padded shapes
 * Latency: one sentence at a time (p50/p95 over real SST-2 sentences). Throughput: batches
 * of 64, the same length-sorted batches for every runtime. Goals: ort ≥ 3× tfjs_wasm
 * throughput, ort within 1.5× of the floor at batch 64.
 * Run alone: `npx tsx bench/use-inference.ts` → bench/results/use-inference.json.
 */
import { runIfMain } from './results-file.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lengthBuckets } from '../src-main/data/batching.js';
import * as g from '../src-main/graph/index.js';
import type { Tensor } from '../src-main/graph/index.js';
import { Embedder, embeddingModel } from '../src-main/infer/embed.js';
import type { TaskSpec } from '../src-main/model/base.js';
import { weightFeeds } from '../src-main/model/param-inputs.js';
import { loadBase } from '../src-main/model/registry.js';
import type { UseLite, UseLiteConfig } from '../src-main/model/use-lite.js';
import { encodeModel } from '../src-main/onnx/writer.js';
import { projectRoot } from '../src-main/paths.js';
import { hostTensor, openSession, type HostSession, type HostTensor } from '../src-main/runtime/index.js';
import { Rng } from '../src-main/util/rng.js';
import { tfjsUseReference } from '../support/use-helpers.js';

const BATCH = 64;
const THROUGHPUT_TEXTS = 512;
const LATENCY_TEXTS = 100;
const SINGLE: TaskSpec = { type: 'regression', outputs: 1, pair: false };

/** The model's MatMuls alone, with their operands as inputs (symbolic batch/seq), summed to one scalar. */
function matmulFloorModel(c: UseLiteConfig): { model: Uint8Array; feeds(batch: number, seq: number): Record<string, HostTensor> } {
  const shapes: Record<string, (b: number, s: number) => number[]> = {};
  const input = (name: string, shape: (string | number)[]) => {
    shapes[name] = (b, s) => shape.map((d) => (d === 'batch' ? b : d === 'seq' ? s : (d as number)));
    return g.input(name, 'float32', shape);
  };
  const terms: Tensor[] = [];
  for (let l = 0; l < c.layers; l++) {
    const d = l === 0 ? c.embedDim : c.hidden;
    const dh = d / c.heads;
    const x = input(`x${l}`, ['batch', 'seq', d]);
    terms.push(g.matmul(x, input(`qkv${l}`, [d, 3 * d])));
    if (d !== c.hidden) terms.push(g.matmul(x, input(`res${l}`, [d, c.hidden])));
    terms.push(g.matmul(input(`q${l}`, ['batch', c.heads, 'seq', dh]), input(`kT${l}`, ['batch', c.heads, dh, 'seq'])));
    terms.push(g.matmul(input(`p${l}`, ['batch', c.heads, 'seq', 'seq']), input(`v${l}`, ['batch', c.heads, 'seq', dh])));
    terms.push(g.matmul(input(`ctx${l}`, ['batch', 'seq', d]), input(`out${l}`, [d, c.hidden])));
    const f = g.matmul(input(`y${l}`, ['batch', 'seq', c.hidden]), input(`ffnIn${l}`, [c.hidden, c.ffn]));
    terms.push(g.matmul(f, input(`ffnOut${l}`, [c.ffn, c.hidden])));
  }
  terms.push(g.matmul(input('pooled', ['batch', c.hidden]), input('tanh', [c.hidden, c.hidden])));
  const total = terms.map((t) => g.reduceSum(t)).reduce((a, b) => g.add(a, b));
  const model = encodeModel(g.lower({ total })).bytes;
  const rng = new Rng(7);
  return {
    model,
    feeds: (b, s) => Object.fromEntries(Object.entries(shapes).map(([name, shape]) => {
      const dims = shape(b, s);
      const data = new Float32Array(dims.reduce((x, y) => x * y, 1));
      rng.fillNormal(data, 0.05);
      return [name, hostTensor('float32', dims, data)];
    })),
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x: number, digits = 2) => +x.toFixed(digits);

async function timeSession(session: HostSession, feeds: Record<string, HostTensor>[], passes: number): Promise<number> {
  for (const f of feeds) await session.run(f); // warm-up pass
  const times: number[] = [];
  for (let p = 0; p < passes; p++) {
    const t0 = performance.now();
    for (const f of feeds) await session.run(f);
    times.push(performance.now() - t0);
  }
  return quantile(times, 0.5);
}

async function latencies(one: (i: number) => Promise<unknown>, n: number): Promise<{ p50_ms: number; p95_ms: number }> {
  for (let i = 0; i < 5; i++) await one(i);
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await one(i);
    ms.push(performance.now() - t0);
  }
  return { p50_ms: round(quantile(ms, 0.5)), p95_ms: round(quantile(ms, 0.95)) };
}

export async function run(): Promise<object> {
  const dataDir = process.env.TASKPACK_DATA ?? join(projectRoot(), '..', 'shared', 'data');
  const sst2 = join(dataDir, 'glue', 'SST-2', 'dev.tsv');
  if (!existsSync(sst2)) return { skipped: `no data under ${dataDir}` };
  const sentences = readFileSync(sst2, 'utf8').split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split('\t')[0]);
  const home = mkdtempSync(join(tmpdir(), 'bench-use-'));
  try {
    const base = loadBase(home) as UseLite;
    const texts = sentences.slice(0, THROUGHPUT_TEXTS);
    const ids = texts.map((t) => base.tokenizer.encode(t).slice(0, base.maxLength));
    const batches = lengthBuckets(ids.map((l) => l.length), BATCH, new Rng(1), Number.POSITIVE_INFINITY);
    const weights = weightFeeds(base.weights);
    const ortFeeds = batches.map((rows) => ({ ...base.encode(rows.map((r) => ({ text: texts[r] })), SINGLE), ...weights }));
    const tokens = ids.reduce((a, l) => a + l.length, 0);
    const padded = ortFeeds.reduce((a, f) => a + f.ids.dims[0] * f.ids.dims[1], 0);

    const model = embeddingModel(base);
    const ort = await openSession(model, { provider: 'cpu' });
    const ort1 = await openSession(model, { provider: 'cpu', intraOpThreads: 1 });
    const floor = matmulFloorModel(base.config);
    const floorSession = await openSession(floor.model, { provider: 'cpu' });
    const floorFeeds = ortFeeds.map((f) => floor.feeds(f.ids.dims[0], f.ids.dims[1]));

    const ortMs = await timeSession(ort, ortFeeds, 5);
    const ort1Ms = await timeSession(ort1, ortFeeds, 3);
    const floorMs = await timeSession(floorSession, floorFeeds, 5);
    const embedder = await Embedder.open(base, { batchSize: BATCH });
    await embedder.embed(texts);
    let t0 = performance.now();
    await embedder.embed(texts);
    const endToEndMs = performance.now() - t0;
    await embedder.dispose();

    const tf = await tfjsUseReference('wasm');
    const tfBatches = batches.map((rows) => rows.map((r) => ids[r]));
    for (const b of tfBatches) await tf.embed(b); // warm-up pass
    t0 = performance.now();
    for (const b of tfBatches) await tf.embed(b);
    const tfMs = performance.now() - t0;

    const single = sentences.slice(0, LATENCY_TEXTS);
    const singleFeeds = single.map((s) => ({ ...base.encode([{ text: s }], SINGLE), ...weights }));
    const singleIds = single.map((s) => base.tokenizer.encode(s).slice(0, base.maxLength));
    const singleFloor = singleFeeds.map((f) => floor.feeds(1, f.ids.dims[1]));
    const latency = {
      ort: await latencies((i) => ort.run(singleFeeds[i]), LATENCY_TEXTS),
      ort_end_to_end: await (async () => {
        const e = await Embedder.open(base);
        const r = await latencies((i) => e.embed([single[i]]), LATENCY_TEXTS);
        await e.dispose();
        return r;
      })(),
      tfjs_wasm: await latencies((i) => tf.embed([singleIds[i]]), LATENCY_TEXTS),
      floor: await latencies((i) => floorSession.run(singleFloor[i]), LATENCY_TEXTS),
    };
    await Promise.all([ort.dispose(), ort1.dispose(), floorSession.dispose()]);

    const sps = (ms: number) => round(texts.length / (ms / 1000), 1);
    const throughput = { ort: sps(ortMs), ort_end_to_end: sps(endToEndMs), ort_1_thread: sps(ort1Ms), tfjs_wasm: sps(tfMs), floor: sps(floorMs) };
    const ratios = { ort_over_tfjs_wasm: round(throughput.ort / throughput.tfjs_wasm), ort_1_thread_over_tfjs_wasm: round(throughput.ort_1_thread / throughput.tfjs_wasm), ort_time_over_floor: round(ortMs / floorMs) };
    return {
      machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version },
      threads: { ort: 'ORT default (one per core)', ort_1_thread: 1, tfjs_wasm: '1 (its Node build has no threads)' },
      texts: { source: 'SST-2 dev', throughput: texts.length, latency: LATENCY_TEXTS, batch: BATCH, tokens, padded_tokens: padded },
      latency_one_sentence: latency,
      throughput_sentences_per_s: throughput,
      ratios,
      goals: { ort_at_least_3x_tfjs: ratios.ort_over_tfjs_wasm >= 3, ort_within_1_5x_floor: ratios.ort_time_over_floor <= 1.5 },
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

await runIfMain(import.meta.url, 'use-inference', run);
