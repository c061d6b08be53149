/**
 * The BERT graph as training sees it: gradients of a pair-classification head's logits
 * with respect to embeddings, separate Q/K/V (fused in-graph), FFN, pooler and head
 * weights pass a float64 gradient check (not the key bias: softmax makes its gradient
 * exactly zero); the head is a linear map of the pooled output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as g from '../../src-main/graph/index.js';
import type { NDArray } from '../../src-main/graph/index.js';
import { parseBertConfig } from '../../src-main/model/bert/config.js';
import { mapHfWeights } from '../../src-main/model/bert/hf-weights.js';
import { BertBase } from '../../src-main/model/bert/model.js';
import { readSafetensors } from '../../src-main/model/bert/safetensors.js';
import { BertTokenizer, tokenizerJsonFromVocab } from '../../src-main/model/bert/tokenizer.js';
import { paramInputs } from '../../src-main/model/param-inputs.js';
import { weightsFingerprint } from '../../src-main/model/weights.js';
import { Rng } from '../../src-main/util/rng.js';
import { randomHfBert, tinyConfig, writeSafetensors } from '../../support/bert-helpers.js';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'abcdefghijklmnopqrstuvwxyz'.split(''), 'the', '##s'];

function tinyBert(): BertBase {
  const hf = tinyConfig({ vocab_size: VOCAB.length, layer_norm_eps: 1e-5 });
  const config = parseBertConfig(JSON.stringify(hf));
  const { weights } = mapHfWeights(readSafetensors(writeSafetensors(randomHfBert(hf, 11))), config, 'model.safetensors');
  return new BertBase('tiny', config, weights, new BertTokenizer(tokenizerJsonFromVocab(VOCAB)), weightsFingerprint(weights));
}

const f64 = (dims: readonly number[], data: ArrayLike<number>): NDArray => ({ dtype: 'float32', shape: [...dims], data: Float64Array.from(data) });

test('pair classification logits: float64 gradient check through embeddings, Q/K/V, FFN, pooler and head', () => {
  const base = tinyBert();
  const task = { type: 'classification' as const, outputs: 3, pair: true };
  const rng = new Rng(5);
  const head = Object.entries(base.headShapes(task)).map(([name, dims]) => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    rng.fillNormal(data, 0.5);
    return [name, { dims, data }] as const;
  });
  const all = new Map([...base.weights, ...head]);
  const params = paramInputs(all);
  const x = base.inputs(task);
  const logits = base.taskOutputs(params.p, x, task);
  const pooled = base.encoder(params.p, x).pooled;

  const enc = base.encode([{ text: 'the cats', pair: 'a b c' }, { text: 'x', pair: 'the zebras' }], task);
  const feeds: Record<string, NDArray> = Object.fromEntries(Object.entries(enc).map(([k, t]) => [k, { dtype: t.dtype as NDArray['dtype'], shape: t.dims, data: t.data as NDArray['data'] }]));
  for (const [name, t] of all) feeds[name] = f64(t.dims, t.data);

  const wrt = ['emb.tok', 'emb.type', 'emb.ln.g', 'l0.attn.q.w', 'l0.attn.q.b', 'l0.attn.k.w', 'l0.attn.v.w', 'l0.ln1.b', 'l0.ffn.in.w', 'l0.ffn.out.b', 'pool.w', 'head.w', 'head.b'];
  const inputs = params.created();
  for (const name of wrt) {
    const r = g.gradCheck(logits, [inputs.find((t) => t.name === name)!], feeds, () => rng.uniform(), 1e-4);
    assert.ok(r.relErr <= 1e-6, `${name}: jvp ${r.jvp} vs vjp ${r.vjp} (rel ${r.relErr.toExponential(2)})`);
  }

  const [l, p] = g.evaluate([logits, pooled], feeds);
  const [w, b] = [all.get('head.w')!.data, all.get('head.b')!.data];
  for (let row = 0; row < 2; row++) for (let k = 0; k < 3; k++) {
    let want = b[k];
    for (let i = 0; i < 8; i++) want += p.data[row * 8 + i] * w[i * 3 + k];
    assert.ok(Math.abs(l.data[row * 3 + k] - want) < 1e-9, `logit [${row}, ${k}]`);
  }
});
