/**
 * A task as one self-contained ONNX model: the base's task graph, lowered as the app's
 * inference lowers it (train/evaluate.ts: weights as graph inputs), with those inputs
 * turned into initializers holding the merged weights (θ + δ, and the head; the arrays
 * themselves, not copies), and the token inputs renamed and typed as transformers.js /
 * Optimum exports name them: int64 `input_ids`, `attention_mask`, `token_type_ids` [batch, sequence]; the
 * output is `logits` [batch, outputs]. The graph's own inputs (int32 ids and type ids,
 * a float mask, positions 0..seq−1) become a few Cast/Range nodes in front of it.
 */
import * as g from '../graph/index.js';
import type { BaseModel, TaskSpec } from '../model/base.js';
import { moduleShapes, withModules, type ModuleSpec } from '../model/modules.js';
import { paramInputs } from '../model/param-inputs.js';
import type { WeightTensor } from '../model/weights.js';
import type { OnnxGraph, OnnxNode, ValueInfo } from '../onnx/ir.js';
import { encodeModel, type EncodedModel } from '../onnx/writer.js';

export const LOGITS = 'logits';
/** Above this many weight bytes the initializers go to `model.onnx_data` (protobuf's 2 GB limit). */
const INLINE_WEIGHT_BYTES = 1.5 * 2 ** 30;
export const EXTERNAL_DATA_FILE = 'model.onnx_data';

/**
 * How each graph input is fed from the exported inputs: the Hugging Face name, and whether
 * the value is the tokens' ids, type ids, mask or positions. USE-lite's second text of a
 * pair reads from `pair_input_ids` / `pair_attention_mask` (it has no token types: each
 * text is encoded on its own).
 */
const FEEDS: Record<string, { from: string; as: 'int32' | 'float32' | 'positions' }> = {
  ids: { from: 'input_ids', as: 'int32' },
  typeIds: { from: 'token_type_ids', as: 'int32' },
  mask: { from: 'attention_mask', as: 'float32' },
  positions: { from: 'input_ids', as: 'positions' },
  pair_ids: { from: 'pair_input_ids', as: 'int32' },
  pair_mask: { from: 'pair_attention_mask', as: 'float32' },
  pair_positions: { from: 'pair_input_ids', as: 'positions' },
};

/** Inputs in the order Optimum declares them. */
const ORDER = ['input_ids', 'attention_mask', 'token_type_ids', 'pair_input_ids', 'pair_attention_mask'];
const byOrder = (a: string, b: string) => ORDER.indexOf(a) - ORDER.indexOf(b);

const CAST_TO = { int32: 6, float32: 1 } as const;

/** The exported model's input names for this base and task, in order. */
export function exportedInputNames(base: BaseModel, task: TaskSpec): string[] {
  return [...new Set(Object.values(base.inputs(task)).map((t) => feedOf(t.name!).from))].sort(byOrder);
}

function feedOf(name: string) {
  const f = FEEDS[name];
  if (!f) throw new Error(`ONNX export: the base's graph input '${name}' has no Hugging Face equivalent`);
  return f;
}

/** The task graph with `weight(name)`'s values as initializers, its inputs as Hugging Face names them. */
export function taskOnnxGraph(base: BaseModel, task: TaskSpec, weight: (name: string) => WeightTensor, module?: ModuleSpec): OnnxGraph {
  const inputs = base.inputs(task);
  const baseShapes = Object.fromEntries([...base.weights].map(([n, t]) => [n, [...t.dims]]));
  // An adapter pack's sites are in the graph, its tensors initializers like the base's (LoRA comes merged into the weights).
  const shapes = { ...baseShapes, ...base.headShapes(task), ...(module ? moduleShapes(module, baseShapes) : {}) };
  const params = paramInputs(shapes);
  const p = module ? withModules(params.p, module, params.p) : params.p;
  const graph = g.lower({ [LOGITS]: base.taskOutputs(p, inputs, task) }, { inputs: [...Object.values(inputs), ...params.created()], name: `${base.id}-task` });
  const weights = new Set(params.created().map((t) => t.name!));
  const initializers = [...weights].map((name) => {
    const w = weight(name);
    return { name, dtype: 'float32' as const, dims: [...w.dims], data: w.data };
  });
  return withHfInputs({ ...graph, inputs: graph.inputs.filter((i) => !weights.has(i.name)), initializers: [...initializers, ...graph.initializers] });
}

/** Replace the graph's inputs by int64 Hugging Face inputs, converted in front of the graph. */
function withHfInputs(graph: OnnxGraph): OnnxGraph {
  const nodes: OnnxNode[] = [];
  const hfInputs = new Map<string, ValueInfo>();
  const node = (opType: string, inputs: string[], output: string, attributes: OnnxNode['attributes'] = {}) =>
    nodes.push({ opType, inputs, outputs: [output], name: `export_${output}`, attributes });
  for (const input of graph.inputs) {
    const { from, as } = feedOf(input.name);
    const seqDim = input.shape[input.shape.length - 1];
    if (!hfInputs.has(from)) hfInputs.set(from, { name: from, dtype: 'int64', shape: input.shape.length === 2 ? [...input.shape] : ['batch', seqDim] });
    if (as !== 'positions') {
      node('Cast', [from], input.name, { to: { kind: 'int', value: CAST_TO[as] } });
      continue;
    }
    // positions = Range(0, seq, 1): the length of the ids' last axis.
    const seq = `${input.name}_len`;
    node('Shape', [from], `${seq}_1d`, { start: { kind: 'int', value: 1 }, end: { kind: 'int', value: 2 } });
    node('Squeeze', [`${seq}_1d`], `${seq}_i64`);
    node('Cast', [`${seq}_i64`], seq, { to: { kind: 'int', value: CAST_TO.int32 } });
    node('Range', ['export_zero', seq, 'export_one'], input.name);
  }
  const scalars = nodes.some((n) => n.opType === 'Range')
    ? [{ name: 'export_zero', dtype: 'int32' as const, dims: [], data: Int32Array.of(0) }, { name: 'export_one', dtype: 'int32' as const, dims: [], data: Int32Array.of(1) }]
    : [];
  return { ...graph, inputs: [...hfInputs.values()].sort((a, b) => byOrder(a.name, b.name)), nodes: [...nodes, ...graph.nodes], initializers: [...scalars, ...graph.initializers] };
}

/** ModelProto bytes (and, for a model past protobuf's limit, its external data file). */
export function encodeTaskModel(graph: OnnxGraph): EncodedModel {
  const weightBytes = graph.initializers.reduce((a, i) => a + i.data.byteLength, 0);
  return encodeModel(graph, weightBytes > INLINE_WEIGHT_BYTES ? { externalDataPath: EXTERNAL_DATA_FILE } : {});
}
