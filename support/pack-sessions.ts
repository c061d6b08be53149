/**
 * The two ways an inference session can see a pack's weights, built over the synthetic
 * encoder (model/encoder.ts): weights as zero-copy graph inputs (patched in place by
 * LiveBase, one session for every pack) or densely merged weights baked in as initializers
 * (a session per pack, rebuilt on each swap). Tests and bench/pack-swap.ts compare them.
 */
import * as g from '../src-main/graph/index.js';
import { classifierLogits, encoderInputs, type EncoderConfig } from '../src-main/model/encoder.js';
import type { ParamFn } from '../src-main/model/layers.js';
import type { WeightTensor } from '../src-main/model/weights.js';
import { encodeModel } from '../src-main/onnx/writer.js';
import type { ExternalDataEntry, HostTensor } from '../src-main/runtime/index.js';

export type WeightBinding = 'inputs' | 'initializers';

type TensorMap = ReadonlyMap<string, WeightTensor>;

/**
 * The classifier graph with every weight (base and head) either a float32 input named as
 * the weight or an initializer holding `weights`' values. Initializers over 1 KiB go to
 * external data, so a BERT-base-sized model stays under protobuf's 2 GB.
 */
export function encoderClassifierModel(config: EncoderConfig, weights: TensorMap, binding: WeightBinding): { bytes: Uint8Array; externalData: ExternalDataEntry[] } {
  const x = encoderInputs();
  return classifierModel((p) => classifierLogits(config, p, x), [x.ids, x.mask, x.positions], weights, binding);
}

/** The same for any graph builder over a ParamFn (e.g. a BaseModel's taskOutputs). */
export function classifierModel(build: (p: ParamFn) => g.Tensor, tokenInputs: g.Tensor[], weights: TensorMap, binding: WeightBinding): { bytes: Uint8Array; externalData: ExternalDataEntry[] } {
  const leaves = new Map<string, g.Tensor>();
  const p = (name: string) => {
    let t = leaves.get(name);
    if (!t) {
      const w = weights.get(name);
      if (!w) throw new Error(`encoderClassifierModel: no weight '${name}'`);
      t = binding === 'inputs'
        ? g.input(name, 'float32', [...w.dims])
        : g.constant({ dtype: 'float32', shape: [...w.dims], data: w.data }, 'float32', name);
      leaves.set(name, t);
    }
    return t;
  };
  const logits = build(p);
  const inputs = [...tokenInputs, ...(binding === 'inputs' ? leaves.values() : [])];
  const graph = g.lower({ logits }, { inputs, name: 'classifier' });
  const { bytes, externalData } = encodeModel(graph, binding === 'initializers' ? { externalDataPath: 'weights.bin' } : {});
  return { bytes, externalData };
}

/** Zero-copy feeds over the weights' own arrays: a session reads whatever they hold at run time. */
export function weightFeeds(weights: TensorMap): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const [name, t] of weights) feeds[name] = { dtype: 'float32', dims: [...t.dims], data: t.data };
  return feeds;
}

/** A fixed token batch for the classifier: ids from a simple counter, the last row padded. */
export function tokenBatch(config: EncoderConfig, batch: number, seq: number): Record<string, HostTensor> {
  const ids = Int32Array.from({ length: batch * seq }, (_, i) => (i * 7 + 3) % config.vocab);
  const mask = Float32Array.from({ length: batch * seq }, (_, i) => (Math.floor(i / seq) === batch - 1 && i % seq >= seq / 2 ? 0 : 1));
  return {
    ids: { dtype: 'int32', dims: [batch, seq], data: ids },
    mask: { dtype: 'float32', dims: [batch, seq], data: mask },
    positions: { dtype: 'int32', dims: [seq], data: Int32Array.from({ length: seq }, (_, i) => i) },
  };
}
