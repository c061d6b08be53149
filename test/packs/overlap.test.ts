import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positionOverlap, tensorKind } from '../../support/pack-overlap.js';
import type { SparseDiff } from '../../src-main/packs/format.js';

const diff = (name: string, dims: number[], indices: number[]): SparseDiff =>
  ({ name, dims, indices: Uint32Array.from(indices), values: { encoding: 'float32', data: new Float32Array(indices.length) } });

test('pack overlap: shared positions per tensor, chance as Σ n₁n₂/size, counts per kind', () => {
  const a = [diff('l0.ffn.in.w', [4, 5], [0, 3, 7, 19]), diff('l1.ffn.in.w', [10], [1, 2]), diff('l0.ln.g', [5], [4])];
  const b = [diff('l0.ffn.in.w', [4, 5], [3, 7, 8]), diff('l1.ffn.in.w', [10], [5]), diff('tanh.w', [3, 3], [0])];
  const o = positionOverlap(a, b);
  assert.equal(o.shared, 2); // l0.ffn.in.w's 3 and 7; l1's and the rest disjoint
  assert.ok(Math.abs(o.byChance - ((4 * 3) / 20 + (2 * 1) / 10)) < 1e-12);
  assert.deepEqual(o.nonzeros, [7, 5]);
  assert.deepEqual(o.byKind, { 'ffn.in.w': [6, 4], 'biases and layer norms': [1, 0], 'tanh.w': [0, 1] });
  assert.equal(tensorKind('l3.attn.qkv.b'), 'biases and layer norms');
  assert.equal(tensorKind('emb.tok'), 'emb.tok');
});
