/**
 * The storage report (packs/storage.ts): the Pareto frontier, packs grouped by task and
 * base, one point per method and budget (the newest pack), estimates where no pack stands
 * for a method and budget, and the cases of no pack and of a pack whose base is absent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveBase } from '../../src-main/model/base-store.js';
import { encodePack } from '../../src-main/packs/codec.js';
import { markFrontier, storageReport, type StoragePoint } from '../../src-main/packs/storage.js';
import { PackStore } from '../../src-main/packs/store.js';
import { goldenContent, moduleContent, syntheticBase, TINY } from '../../support/pack-fixtures.js';
import { tinyBert } from '../../support/trainer-fixtures.js';

const point = (bytesPerTask: number, metric: number | null): StoragePoint =>
  ({ method: 'm', budget: null, bytesPerTask, totalBytes: 0, metric, estimated: metric === null, packId: null, frontier: false });

test('frontier: a point is on it when no other has a metric at least as high for at most its bytes', () => {
  const points = [point(100, 0.80), point(50, 0.70), point(200, 0.79), point(300, 0.90), point(50, 0.75), point(400, 0.90), point(10, null), point(20, 0.60)];
  markFrontier(points);
  assert.deepEqual(points.map((p) => p.frontier), [true, false, false, true, true, false, false, true]);
  const none: StoragePoint[] = [point(1, null)];
  markFrontier(none);
  assert.equal(none[0].frontier, false);
});

/** A home with the synthetic base and packs of the golden content: `diffs` of its 3 diffs, so sizes differ. */
function homeWith(t: { after(fn: () => void): void }, packs: { name: string; method: string; metrics: Record<string, number>; diffs: number; base?: string }[]) {
  const home = mkdtempSync(join(tmpdir(), 'taskpack-storage-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const base = syntheticBase();
  saveBase(home, { id: base.id, architecture: 'bert', displayName: 'tiny', config: TINY, maxLength: 8, weights: base.weights, tokenizerJson: '{}' });
  const store = new PackStore(home);
  const c = goldenContent();
  const entries = packs.map((p, i) => store.install(encodePack({
    ...c, base: p.base ? { id: p.base, fingerprint: 'e'.repeat(64) } : c.base, task: { ...c.task, name: p.name, createdAt: `2026-01-0${i + 1}T00:00:00.000Z` },
    provenance: { ...c.provenance, method: p.method, devMetrics: p.metrics }, diffs: c.diffs.slice(0, p.diffs),
  }), new Date(Date.UTC(2026, 0, i + 1))).entry);
  const parameters = [...base.weights.values()].reduce((a, w) => a + w.data.length, 0);
  return { home, entries, parameters };
}

test('grouped by task and base: measured points with budgets and metrics, the newest per method and budget, estimates for the rest', (t) => {
  const { home, entries, parameters } = homeWith(t, [
    { name: 'reviews', method: 'diff-structured', metrics: { accuracy: 0.70 }, diffs: 3 },
    { name: 'reviews', method: 'bitfit', metrics: { accuracy: 0.74 }, diffs: 1 },
    { name: 'reviews', method: 'full', metrics: { accuracy: 0.72 }, diffs: 2 },
    { name: 'paraphrase', method: 'diff', metrics: { accuracy: 0.6, f1: 0.66 }, diffs: 2 },
    { name: 'reviews', method: 'bitfit', metrics: { accuracy: 0.76 }, diffs: 1 }, // same method and budget: replaces the one above
    { name: 'elsewhere', method: 'diff', metrics: { accuracy: 0.5 }, diffs: 1, base: 'not-here' },
  ]);
  const r = storageReport(home);
  assert.equal(r.tasks, 2, 'by default, the tasks installed here');
  assert.deepEqual(r.groups.map((g) => [g.name, g.base.id, g.metric]), [['reviews', 'synthetic-tiny', 'accuracy'], ['paraphrase', 'synthetic-tiny', 'f1']]);
  assert.deepEqual(r.unsized, [{ name: 'elsewhere', baseId: 'not-here' }]);

  const [reviews, paraphrase] = r.groups;
  const baseBytes = 4 * parameters;
  const measured = reviews.points.filter((p) => !p.estimated);
  const byId = new Map(entries.map((e) => [e.id, e]));
  assert.deepEqual(measured.map((p) => p.packId).sort(), [entries[0].id, entries[2].id, entries[4].id].sort(), 'one bitfit point: the newest pack');
  for (const p of measured) {
    const e = byId.get(p.packId!)!;
    assert.deepEqual([p.method, p.bytesPerTask, p.totalBytes, p.metric], [e.method, e.bytes, baseBytes + 2 * e.bytes, e.devMetrics.accuracy]);
  }
  // Diff methods carry their budget: the pack's nonzeros as a share of the base's parameters.
  assert.deepEqual(measured.find((p) => p.method === 'diff-structured')!.budget, { kind: 'sparsity', value: entries[0].nnz / parameters });
  assert.equal(measured.find((p) => p.method === 'bitfit')!.budget, null);
  // bitfit (fewest bytes, best metric) dominates the other two.
  assert.deepEqual(measured.filter((p) => p.frontier).map((p) => p.method), ['bitfit']);
  // A measured full pack stands for full finetuning: no estimated full copy beside it; the paraphrase task has one.
  assert.deepEqual(reviews.points.filter((p) => p.method === 'full').map((p) => p.estimated), [false]);
  const fullCopy = paraphrase.points.find((p) => p.method === 'full')!;
  assert.deepEqual([fullCopy.estimated, fullCopy.metric, fullCopy.packId, fullCopy.totalBytes], [true, null, null, 2 * fullCopy.bytesPerTask]);
  // Hidden 8: bottlenecks of 64 and 256 and LoRA's rank 16 are wider than what they adapt, so they are left out;
  // diff pruning at the default 0.5 % (this pack's budget differs) is sized as int32 positions and float32 values.
  assert.deepEqual(reviews.points.filter((p) => p.estimated).map((p) => `${p.method} ${p.budget?.kind} ${p.budget?.value}`).sort(), ['diff-structured sparsity 0.005', 'lora rank 8']);
  assert.ok(reviews.points.find((p) => p.method === 'diff-structured' && p.estimated)!.bytesPerTask > 8 * Math.ceil(0.005 * parameters), 'plus the head');
  assert.equal(paraphrase.points.find((p) => !p.estimated)!.metric, 0.66, 'the task\'s primary metric (F1 before accuracy)');
  for (const g of r.groups) assert.deepEqual(g.points.map((p) => p.bytesPerTask), g.points.map((p) => p.bytesPerTask).sort((a, b) => a - b), 'by bytes');

  // A base filter keeps its tasks only; N tasks given scales every total.
  assert.deepEqual(storageReport(home, { baseId: 'synthetic-tiny', tasks: 7 }).groups[0].points.find((p) => p.packId === entries[0].id)!.totalBytes, baseBytes + 7 * entries[0].bytes);
  assert.throws(() => storageReport(home, { tasks: 0 }), /--tasks must be a positive integer, got 0/);
  assert.throws(() => storageReport(home, { baseId: 'nope' }), /base 'nope' is not installed/);
});

test('no pack installed: one group without a task, estimates only, no frontier', (t) => {
  const { home, parameters } = homeWith(t, []);
  const r = storageReport(home);
  assert.equal(r.tasks, 1);
  assert.equal(r.groups.length, 1);
  const [g] = r.groups;
  assert.deepEqual([g.name, g.metric, g.base.parameters], [null, null, parameters]);
  assert.ok(g.points.length > 0 && g.points.every((p) => p.estimated && p.metric === null && !p.frontier));
});

test('estimates from a BERT base (separate q, k and v): sized by hand, not zero', () => {
  // The tiny BERT fixture: 2 layers, hidden 32, FFN 64; no pack installed, so no head.
  const { home } = tinyBert();
  const [g] = storageReport(home).groups;
  const bytes = (method: string, value: number) => g.points.find((p) => p.method === method && p.budget?.value === value)!.bytesPerTask;
  const h = 32, layers = 2;
  // LoRA on W_q and W_v (Hu et al.'s GLUE setting): r·(h + h) each; bottlenecks of 64 and 256 are wider than h = 32, so left out.
  for (const r of [8, 16]) assert.equal(bytes('lora', r), 4 * layers * 2 * r * (h + h));
  assert.equal(bytes('diff-structured', 0.005), 8 * Math.ceil(0.005 * g.base.parameters));
  assert.equal(g.points.filter((p) => p.method.startsWith('adapter-')).length, 0);
});

test('module packs: a LoRA pack at its rank and an adapter pack at its bottleneck, measured, in place of the estimate at that budget', (t) => {
  const { home } = homeWith(t, []);
  const store = new PackStore(home);
  const named = (spec: Parameters<typeof moduleContent>[0], accuracy: number) => {
    const c = moduleContent(spec);
    return store.install(encodePack({ ...c, task: { ...c.task, name: 'reviews' }, provenance: { ...c.provenance, devMetrics: { accuracy } } })).entry;
  };
  const lora = named({ kind: 'lora', rank: 8, alpha: 8, targets: 'qv' }, 0.8);
  const pfeiffer = named({ kind: 'adapter', variant: 'pfeiffer', bottleneck: 4 }, 0.7);
  assert.deepEqual(lora.module, { kind: 'lora', rank: 8, alpha: 8, targets: 'qv' }, 'the store entry keeps the spec');
  const [g] = storageReport(home).groups;
  const byPack = (id: string) => g.points.find((p) => p.packId === id)!;
  assert.deepEqual([byPack(lora.id).method, byPack(lora.id).budget, byPack(lora.id).metric], ['lora', { kind: 'rank', value: 8 }, 0.8]);
  assert.deepEqual([byPack(pfeiffer.id).method, byPack(pfeiffer.id).budget, byPack(pfeiffer.id).bytesPerTask], ['adapter-pfeiffer', { kind: 'bottleneck', value: 4 }, pfeiffer.bytes]);
  assert.equal(g.points.filter((p) => p.method === 'lora').length, 1, 'the measured rank-8 LoRA stands for the estimate at rank 8');
});

test('tasks that share a name but not their labels are two tasks', (t) => {
  const { home } = homeWith(t, []);
  const store = new PackStore(home);
  const c = goldenContent();
  for (const [labels, accuracy] of [[['negative', 'neutral', 'positive'], 0.6], [['contradiction', 'entailment', 'neutral'], 0.7]] as const) {
    store.install(encodePack({ ...c, task: { ...c.task, name: 'train.tsv', labels: [...labels] }, provenance: { ...c.provenance, devMetrics: { accuracy } } }));
  }
  assert.deepEqual(storageReport(home).groups.map((g) => [g.name, g.points.find((p) => !p.estimated)!.metric]), [['train.tsv', 0.6], ['train.tsv', 0.7]]);
});
