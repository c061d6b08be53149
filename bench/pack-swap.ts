/**
 * Task-pack swap against rebuilding a session, side by side in one run:
 *  - swap: LiveBase.activate/deactivate on the live weights (zero-copy session inputs) vs
 *    rebuilding an ORT CPU session with densely merged weights as initializers
 *    (merge + model bytes + session create), for a synthetic BERT-base (12 layers, hidden
 *    768, 110 M parameters) and the shipped base (use-lite-en), packs of 0.5% nonzeros;
 *  - bytes per nonzero per value encoding;
 *  - resident memory of 20 prepared packs over their total file bytes;
 *  - time per pack kind (issue 27): activate, deactivate and swap from a diff pack for LoRA
 *    (merged into its targets) and Houlsby/Pfeiffer adapters (LayerNorm diffs; the module
 *    tensors are inputs of a graph with the adapter sites, opened once per spec), the base's
 *    fingerprint checked after a round through every kind.
 * Run alone: `npx tsx bench/pack-swap.ts` → bench/results/pack-swap.json.
 * (BENCH_SMALL=1 uses a 2-layer, hidden-128 synthetic base for a quick check.)
 */
import { runIfMain } from './results-file.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Tensor } from '../src-main/graph/index.js';
import type { TaskSpec } from '../src-main/model/base.js';
import { classifierLogits, encoderInputs, encoderParamShapes, type EncoderConfig } from '../src-main/model/encoder.js';
import type { ParamFn } from '../src-main/model/layers.js';
import { withModules, type ModuleSpec } from '../src-main/model/modules.js';
import { loadBase } from '../src-main/model/registry.js';
import { weightsFingerprint, type WeightTensor, type Weights } from '../src-main/model/weights.js';
import { decodePack, encodePack } from '../src-main/packs/codec.js';
import type { PackContent, SparseDiff } from '../src-main/packs/format.js';
import { packReport } from '../src-main/packs/inspect.js';
import { mergeDense } from '../src-main/packs/sparse.js';
import { classifierModel, weightFeeds } from '../support/pack-sessions.js';
import { LiveBase, preparePatch, type PreparedPatch } from '../src-main/packs/swap.js';
import { moduleContent } from '../support/pack-fixtures.js';
import { quantize, VALUE_ENCODINGS, type ValueEncoding } from '../src-main/packs/values.js';
import { openSession, type HostTensor } from '../src-main/runtime/index.js';
import { Rng } from '../src-main/util/rng.js';

const DENSITY = 0.005;
const BERT_BASE: EncoderConfig = { vocab: 30522, hidden: 768, layers: 12, heads: 12, ffn: 3072, maxLen: 512, classes: 2 };
const SMALL: EncoderConfig = { vocab: 1000, hidden: 128, layers: 2, heads: 2, ffn: 512, maxLen: 64, classes: 2 };

interface Subject {
  name: string;
  id: string;
  weights: Weights;
  fingerprint: string;
  headShapes: Record<string, number[]>;
  build: (p: ParamFn) => Tensor;
  tokenInputs: Tensor[];
  feeds: Record<string, HostTensor>;
}

const ms = (t0: number) => +(performance.now() - t0).toFixed(3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const params = (w: Weights) => [...w.values()].reduce((a, t) => a + t.data.length, 0);
let gc: () => void = () => {};

function syntheticSubject(c: EncoderConfig): Subject {
  const weights = new Map<string, WeightTensor>();
  let x = 12345;
  for (const [name, dims] of Object.entries(encoderParamShapes(c))) {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; data[i] = ((x >>> 8) / 16777216 - 0.5) * 0.04; }
    if (name.endsWith('.g')) data.fill(1);
    weights.set(name, { dims, data });
  }
  const x0 = encoderInputs(), batch = 4, seq = 64;
  return {
    name: `synthetic encoder (${c.layers} layers, hidden ${c.hidden})`, id: 'synthetic', weights, fingerprint: weightsFingerprint(weights),
    headShapes: { 'head.w': [c.hidden, c.classes], 'head.b': [c.classes] },
    build: (p) => classifierLogits(c, p, x0), tokenInputs: [x0.ids, x0.mask, x0.positions],
    feeds: {
      ids: { dtype: 'int32', dims: [batch, seq], data: Int32Array.from({ length: batch * seq }, (_, i) => (i * 7919) % c.vocab) },
      mask: { dtype: 'float32', dims: [batch, seq], data: new Float32Array(batch * seq).fill(1) },
      positions: { dtype: 'int32', dims: [seq], data: Int32Array.from({ length: seq }, (_, i) => i) },
    },
  };
}

function useLiteSubject(home: string): Subject {
  const base = loadBase(home, 'use-lite-en');
  const task: TaskSpec = { type: 'classification', outputs: 2, pair: false };
  const inputs = base.inputs(task);
  const texts = ['a gripping, funny and humane film', 'the plot is thin and the jokes fall flat', 'an instant classic', 'not worth the ticket'];
  return {
    name: 'use-lite-en (shipped base)', id: base.id, weights: base.weights, fingerprint: base.fingerprint, headShapes: base.headShapes(task),
    build: (p) => base.taskOutputs(p, inputs, task), tokenInputs: Object.values(inputs), feeds: base.encode(texts.map((text) => ({ text })), task),
  };
}

/** A pack touching DENSITY of every base tensor at random positions, with a random head. */
function randomPack(s: Subject, seed: number, encoding: ValueEncoding): PackContent {
  const rng = new Rng(seed);
  const diffs: SparseDiff[] = [];
  for (const [name, t] of s.weights) {
    const n = t.data.length, nnz = Math.max(1, Math.round(n * DENSITY));
    const picked = new Set<number>();
    while (picked.size < nnz) picked.add(rng.int(n));
    const indices = Uint32Array.from([...picked].sort((a, b) => a - b));
    const deltas = Float32Array.from(indices, () => (rng.uniform() - 0.5) * 0.02);
    diffs.push({ name, dims: [...t.dims], indices, values: quantize(deltas, encoding, name) });
  }
  const dense = Object.entries(s.headShapes).map(([name, dims]) => ({ name, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform() - 0.5) }));
  return {
    base: { id: s.id, fingerprint: s.fingerprint },
    task: { name: `bench ${seed}`, description: '', type: 'classification', labels: ['no', 'yes'], inputColumns: ['text'], maxLength: 64, tokenizer: s.id, appVersion: '0.1.0', createdAt: new Date(0).toISOString() },
    provenance: { method: 'bench', hyperParameters: { density: DENSITY }, trainingData: '', devMetrics: {} },
    kind: 'diff', diffs, modules: [], dense,
  };
}

async function swapVersusRebuild(s: Subject, rebuilds: number) {
  const base = { fingerprint: s.fingerprint, weights: s.weights };
  const bytesA = encodePack(randomPack(s, 1, 'int8')), bytesB = encodePack(randomPack(s, 2, 'int8'));
  let t0 = performance.now();
  const contentA = decodePack(bytesA, { base });
  const decodeMs = ms(t0);
  const contentB = decodePack(bytesB, { base });
  t0 = performance.now();
  const a = preparePatch('a', contentA, base);
  const prepareMs = ms(t0);
  const b = preparePatch('b', contentB, base);
  const live = new LiveBase(base);
  const all = (head: ReadonlyMap<string, WeightTensor>) => new Map([...s.weights, ...head]);

  t0 = performance.now();
  const shared = await openSession(classifierModel(s.build, s.tokenInputs, all(a.head), 'inputs').bytes, { provider: 'cpu' });
  const openInputsMs = ms(t0);
  const firsts: number[] = [], swaps: number[] = [], restores: number[] = [], inputRuns: number[] = [];
  for (let r = 0; r < 7; r++) {
    t0 = performance.now(); live.activate(a); firsts.push(ms(t0)); // none → A
    t0 = performance.now(); live.activate(b); swaps.push(ms(t0)); // A → B: restore A, patch B
    t0 = performance.now(); live.deactivate(); restores.push(ms(t0)); // B → none
  }
  live.activate(a);
  let patchedLogits: Float32Array | undefined;
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    patchedLogits = (await shared.run({ ...s.feeds, ...weightFeeds(all(a.head)) })).logits.data as Float32Array;
    inputRuns.push(ms(t0));
  }
  live.deactivate();
  await shared.dispose();

  const rebuild: { mergeMs: number; modelMs: number; openMs: number; totalMs: number }[] = [];
  const bakedRuns: number[] = [];
  let maxAbsDiff = 0;
  for (let r = 0; r < rebuilds; r++) {
    gc();
    t0 = performance.now();
    const merged = mergeDense(s.weights, contentA);
    const mergeMs = ms(t0);
    t0 = performance.now();
    const model = classifierModel(s.build, s.tokenInputs, merged, 'initializers');
    const modelMs = ms(t0);
    t0 = performance.now();
    const baked = await openSession(model.bytes, { provider: 'cpu', externalData: model.externalData });
    const openMs = ms(t0);
    rebuild.push({ mergeMs, modelMs, openMs, totalMs: +(mergeMs + modelMs + openMs).toFixed(3) });
    for (let k = 0; k < 3; k++) {
      t0 = performance.now();
      const logits = (await baked.run(s.feeds)).logits.data as Float32Array;
      bakedRuns.push(ms(t0));
      logits.forEach((v, i) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - patchedLogits![i]))));
    }
    await baked.dispose();
  }
  const swapMs = median(swaps), rebuildMs = median(rebuild.map((r) => r.totalMs));
  return {
    base: s.name, parameters: params(s.weights), nnz_per_pack: a.nnz, pack_bytes: bytesA.length,
    decode_ms: decodeMs, prepare_ms: prepareMs, open_inputs_session_ms: openInputsMs,
    activate_ms_median: median(firsts), swap_a_to_b_ms_median: swapMs, swap_a_to_b_ms_all: swaps, deactivate_ms_median: median(restores),
    ns_per_nonzero_activate: +((median(firsts) * 1e6) / a.nnz).toFixed(1),
    rebuild_ms_median: rebuildMs, rebuild_runs: rebuild,
    // Switching tasks: rebuilding B's session vs restoring A and patching B in place.
    rebuild_over_swap: +(rebuildMs / swapMs).toFixed(1),
    run_ms_weights_as_inputs: median(inputRuns), run_ms_weights_as_initializers: median(bakedRuns),
    logits_max_abs_diff_patched_vs_rebuilt: maxAbsDiff,
  };
}

const KINDS: Record<string, ModuleSpec> = {
  'lora r 8 (qv)': { kind: 'lora', rank: 8, alpha: 16, targets: 'qv' },
  'lora r 8 (all)': { kind: 'lora', rank: 8, alpha: 16, targets: 'all' },
  'adapter-houlsby m 64': { kind: 'adapter', variant: 'houlsby', bottleneck: 64 },
  'adapter-pfeiffer m 64': { kind: 'adapter', variant: 'pfeiffer', bottleneck: 64 },
};

/** Activate, deactivate and swap-from-diff time per kind; a graph with adapter sites opened and run once per adapter spec. */
async function swapPerKind(s: Subject) {
  const base = { fingerprint: s.fingerprint, weights: s.weights };
  const prepare = (id: string, content: PackContent) => {
    const bytes = encodePack(content), t0 = performance.now();
    const patch = preparePatch(id, decodePack(bytes, { base }), base);
    return { patch, bytes: bytes.length, prepareMs: ms(t0) };
  };
  const diff = prepare('diff', randomPack(s, 5, 'int8')).patch;
  const live = new LiveBase(base);
  const timed = (f: () => void) => { const t0 = performance.now(); f(); return ms(t0); };
  const rows = [];
  const patches: PreparedPatch[] = [diff];
  for (const [name, spec] of Object.entries(KINDS)) {
    gc();
    const { patch, bytes, prepareMs } = prepare(name, moduleContent(spec, { base: s, headShapes: s.headShapes, scale: 0.02 }));
    patches.push(patch);
    const activate: number[] = [], deactivate: number[] = [], fromDiff: number[] = [];
    for (let r = 0; r < 5; r++) {
      activate.push(timed(() => live.activate(patch)));
      deactivate.push(timed(() => live.deactivate()));
      live.activate(diff);
      fromDiff.push(timed(() => live.activate(patch)));
      live.deactivate();
    }
    const row: Record<string, unknown> = {
      kind: name, pack_bytes: bytes, base_values_overwritten: patch.nnz, prepare_ms: prepareMs,
      activate_ms_median: median(activate), deactivate_ms_median: median(deactivate), swap_from_diff_ms_median: median(fromDiff),
    };
    if (spec.kind === 'adapter') {
      const weights = new Map([...s.weights, ...patch.head, ...patch.modules]);
      let t0 = performance.now();
      const session = await openSession(classifierModel((p) => s.build(withModules(p, spec, p)), s.tokenInputs, weights, 'inputs').bytes, { provider: 'cpu' });
      row.adapter_graph_open_ms = ms(t0);
      live.activate(patch);
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) { t0 = performance.now(); await session.run({ ...s.feeds, ...weightFeeds(weights) }); runs.push(ms(t0)); }
      live.deactivate();
      row.adapter_graph_run_ms_median = median(runs);
      await session.dispose();
    }
    rows.push(row);
  }
  // Every kind in turn on the one base, then none: the base's fingerprint (SHA-256 of its values) as before.
  for (const patch of patches) live.activate(patch);
  live.deactivate();
  return { base: s.name, kinds: rows, base_fingerprint_unchanged_after_every_kind: weightsFingerprint(s.weights) === s.fingerprint };
}

function bytesPerNonzero(s: Subject) {
  return VALUE_ENCODINGS.map((encoding) => {
    const content = randomPack(s, 3, encoding);
    const bytes = encodePack(content);
    const r = packReport(bytes, decodePack(bytes));
    return {
      encoding, nnz: r.totals.nnz, file_bytes: bytes.length, diff_bytes: r.totals.diffBytes,
      diff_bytes_per_nonzero: +(r.totals.diffBytes / r.totals.nnz).toFixed(3),
      file_bytes_per_nonzero: +(bytes.length / r.totals.nnz).toFixed(3),
      index_bytes_per_nonzero: +(r.diffs.reduce((a, d) => a + d.indexBytes, 0) / r.totals.nnz).toFixed(3),
    };
  });
}

function residentMemory(s: Subject, count: number) {
  const base = { fingerprint: s.fingerprint, weights: s.weights };
  const used = () => { gc(); gc(); const m = process.memoryUsage(); return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss }; };
  // msgpackr keeps its pack buffer and the last source it read: grow those first, so the
  // delta counts the packs rather than the codec's one-time buffers.
  decodePack(encodePack(randomPack(s, 99, 'int8')), { base });
  // The pack files are made before the first reading: installed packs live on disk, and
  // what is measured is what holding them prepared in memory costs.
  const files = Array.from({ length: count }, (_, k) => encodePack(randomPack(s, 100 + k, 'int8')));
  const fileBytes = files.reduce((a, f) => a + f.length, 0);
  const before = used();
  const patches = files.map((bytes, k) => preparePatch(`p${k}`, decodePack(bytes, { base }), base));
  const after = used();
  const delta = after.heap + after.arrayBuffers - (before.heap + before.arrayBuffers);
  return {
    packs: count, packs_total_file_bytes: fileBytes, prepared_bytes_reported: patches.reduce((a, p) => a + p.bytes, 0),
    heap_plus_arraybuffers_delta: delta, rss_delta: after.rss - before.rss,
    resident_over_pack_bytes: +(delta / fileBytes).toFixed(3),
  };
}

export async function run(): Promise<object> {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
  const small = process.env.BENCH_SMALL === '1';
  const synthetic = syntheticSubject(small ? SMALL : BERT_BASE);
  const result: Record<string, unknown> = { density: DENSITY, provider: 'cpu', default_value_encoding: 'int8' };
  result.bytes_per_nonzero = bytesPerNonzero(synthetic);
  result.resident_memory_20_packs = residentMemory(synthetic, 20);
  gc();
  const rows = [await swapVersusRebuild(synthetic, small ? 3 : 2)];
  const perKind = [await swapPerKind(synthetic)];
  const home = mkdtempSync(join(tmpdir(), 'taskpack-bench-'));
  try {
    const useLite = useLiteSubject(home);
    rows.push(await swapVersusRebuild(useLite, 3));
    perKind.push(await swapPerKind(useLite));
  } catch (e) {
    rows.push({ base: 'use-lite-en (shipped base)', skipped: (e as Error).message } as never);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  result.swap_vs_rebuild = rows;
  result.swap_per_kind = perKind;
  return result;
}

await runIfMain(import.meta.url, 'pack-swap', run);
