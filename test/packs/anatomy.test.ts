/**
 * Tensor name → (row, kind) for the shipped base's and BERT's canonical names, a pack's
 * anatomy (rows × kinds of its nonzeros) and the overlap of two packs' positions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bertParamShapes } from '../../src-main/model/bert/hf-weights.js';
import { encoderParamShapes } from '../../src-main/model/encoder.js';
import { classifyTensor, countByKind } from '../../src-main/model/tensor-kinds.js';
import { useLiteWeightShapes } from '../../src-main/model/use-lite.js';
import { packAnatomy, packOverlap } from '../../src-main/packs/anatomy.js';
import type { SparseDiff } from '../../src-main/packs/format.js';
import { TINY } from '../../support/pack-fixtures.js';

const USE = useLiteWeightShapes({ vocabSize: 20, embedDim: 4, hidden: 6, layers: 2, heads: 2, ffn: 12, maxLength: 8, layerNormEps: 1e-6, inverseTimescales: [1, 0.5] });
const BERT = bertParamShapes({ vocabSize: 30, hidden: 6, layers: 3, heads: 2, intermediate: 12, maxPositions: 16, typeVocabSize: 2, layerNormEps: 1e-12 });

const diff = (name: string, dims: number[], indices: number[]): SparseDiff =>
  ({ name, dims, indices: Uint32Array.from(indices), values: { encoding: 'float32', data: new Float32Array(indices.length) } });

test('every tensor of the shipped base, BERT and the test encoder has a row and a known kind', () => {
  for (const shapes of [USE, BERT, encoderParamShapes(TINY)]) {
    for (const name of Object.keys(shapes)) assert.notEqual(classifyTensor(name).kind, 'other', name);
  }
  const cases: [string, string | number, string][] = [
    ['emb.tok', 'embeddings', 'embeddings'], ['emb.pos', 'embeddings', 'embeddings'], ['emb.type', 'embeddings', 'embeddings'],
    ['emb.ln.g', 'embeddings', 'layer-norm'], ['emb.ln.b', 'embeddings', 'layer-norm'],
    ['l2.attn.q.w', 2, 'attn.q'], ['l2.attn.k.w', 2, 'attn.k'], ['l2.attn.v.w', 2, 'attn.v'], ['l2.attn.v.b', 2, 'bias'],
    ['l0.attn.qkv.w', 0, 'attn.qkv'], ['l0.attn.qkv.b', 0, 'bias'], ['l1.attn.out.w', 1, 'attn.out'],
    ['l1.ffn.in.w', 1, 'ffn.in'], ['l1.ffn.out.w', 1, 'ffn.out'], ['l1.ffn.out.b', 1, 'bias'],
    ['l0.ln1.g', 0, 'layer-norm'], ['l11.ln2.b', 11, 'layer-norm'], ['l0.res.w', 0, 'residual'], ['l0.res.b', 0, 'bias'],
    ['pool.w', 'pooler', 'pooler'], ['pool.b', 'pooler', 'bias'], ['tanh.w', 'pooler', 'pooler'], ['tanh.b', 'pooler', 'bias'],
    ['l0.mystery.w', 0, 'other'], ['something', 'pooler', 'other'],
  ];
  for (const [name, row, kind] of cases) assert.deepEqual(classifyTensor(name), { row, kind }, name);
});

test('a fused q|k|v weight splits by column thirds; other tensors count whole', () => {
  // [2, 9]: columns 0-2 are q, 3-5 k, 6-8 v, in every row.
  const { row, counts } = countByKind('l1.attn.qkv.w', [2, 9], [0, 2, 3, 8, 9, 14, 17]);
  assert.equal(row, 1);
  assert.deepEqual(Object.fromEntries(counts), { 'attn.q': 3, 'attn.k': 2, 'attn.v': 2 });
  assert.deepEqual(Object.fromEntries(countByKind('l0.attn.qkv.b', [9], [0, 8]).counts), { bias: 2 });
  assert.deepEqual(Object.fromEntries(countByKind('l0.attn.qkv.w', [2, 8], [0]).counts), { other: 1 }, 'columns not in thirds');
});

test('anatomy: nonzeros per row and kind over the whole base; the head apart', () => {
  const diffs = [
    diff('emb.tok', [20, 4], [1, 5, 70]), diff('l0.attn.qkv.w', [4, 12], [0, 4, 8, 11]), diff('l0.ln1.g', [4], [2]),
    diff('l1.ffn.in.w', [6, 12], [3, 4]), diff('l1.ffn.in.b', [12], [0]), diff('tanh.w', [6, 6], [7]),
  ];
  const dense = [{ name: 'head.w', dims: [6, 2], data: new Float32Array(12) }, { name: 'head.b', dims: [2], data: new Float32Array(2) }];
  const a = packAnatomy({ diffs, dense }, Object.keys(USE));
  assert.deepEqual(a.rows, ['embeddings', 'layer 0', 'layer 1', 'pooler']);
  assert.deepEqual(a.kinds.map((k) => k.kind), ['embeddings', 'attn.q', 'attn.k', 'attn.v', 'attn.out', 'ffn.in', 'ffn.out', 'residual', 'pooler', 'layer-norm', 'bias']);
  assert.equal(a.kinds[5].label, 'ffn in');
  const at = (row: string, kind: string) => a.counts[a.rows.indexOf(row)][a.kinds.findIndex((k) => k.kind === kind)];
  assert.equal(at('embeddings', 'embeddings'), 3);
  // [4, 12] in thirds of 4 columns: 0 is q, 4 is k, 8 and 11 are v.
  assert.equal(at('layer 0', 'attn.q'), 1);
  assert.equal(at('layer 0', 'attn.k'), 1);
  assert.equal(at('layer 0', 'attn.v'), 2);
  assert.equal(at('layer 0', 'layer-norm'), 1);
  assert.equal(at('layer 1', 'ffn.in'), 2);
  assert.equal(at('layer 1', 'bias'), 1);
  assert.equal(at('pooler', 'pooler'), 1);
  assert.equal(a.counts.flat().reduce((x, y) => x + y, 0), a.nonzeros);
  assert.equal(a.nonzeros, 12);
  assert.deepEqual(a.head, { tensors: 2, parameters: 14 });
  // Without the base, only what the pack touches.
  const bare = packAnatomy({ diffs: [diff('l3.attn.k.w', [6, 6], [0])], dense: [] });
  assert.deepEqual([bare.rows, bare.kinds.map((k) => k.kind), bare.counts], [['layer 3'], ['attn.k'], [[1]]]);
});

test('overlap: shared positions, Jaccard, chance as Σ n₁n₂/size, per row and kind', () => {
  const a = [diff('l0.ffn.in.w', [4, 5], [0, 3, 7, 19]), diff('l1.ffn.in.w', [10], [1, 2]), diff('l0.ln1.g', [5], [4])];
  const b = [diff('l0.ffn.in.w', [4, 5], [3, 7, 8]), diff('l1.ffn.in.w', [10], [5]), diff('tanh.w', [3, 3], [0])];
  const o = packOverlap(a, b);
  assert.equal(o.shared, 2); // l0.ffn.in.w's 3 and 7; the rest disjoint
  assert.deepEqual(o.nonzeros, [7, 5]);
  assert.equal(o.union, 10);
  assert.equal(o.jaccard, 0.2);
  assert.ok(Math.abs(o.byChance - ((4 * 3) / 20 + (2 * 1) / 10)) < 1e-12);
  assert.deepEqual(o.byRow, [
    { row: 'layer 0', a: 5, b: 3, shared: 2 }, { row: 'layer 1', a: 2, b: 1, shared: 0 }, { row: 'pooler', a: 0, b: 1, shared: 0 },
  ]);
  assert.deepEqual(o.byKind.map(({ kind, a: x, b: y, shared }) => [kind, x, y, shared]), [['ffn.in', 6, 4, 2], ['pooler', 0, 1, 0], ['layer-norm', 1, 0, 0]]);
  // A pack against itself: everything shared; two empty packs: Jaccard 0, not NaN.
  assert.equal(packOverlap(a, a).jaccard, 1);
  assert.equal(packOverlap([], []).jaccard, 0);
});
