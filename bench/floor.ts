/**
 * A training step's FLOP floor: the step graph's MatMul/Gemm nodes (forward and backward,
 * same ops, attributes and shapes, symbolic sizes resolved by `dims`) alone in one ORT graph,
 * each reduced to a scalar so that nothing large is copied out.
 */
import * as g from '../src-main/graph/index.js';
import type { Tensor } from '../src-main/graph/index.js';
import { topoSort } from '../src-main/graph/topo.js';
import { encodeModel } from '../src-main/onnx/writer.js';
import { hostTensor, openSession } from '../src-main/runtime/index.js';
import { Rng } from '../src-main/util/rng.js';
import type { Made } from './contenders.js';

export async function floorContender(outputs: Record<string, Tensor>, dims: Record<string, number>): Promise<Made> {
  const numeric = (shape: readonly g.Dim[]) => shape.map((d) => (typeof d === 'number' ? d : d.split('*').reduce((a, p) => a * (dims[p] ?? Number(p)), 1)));
  const products = topoSort(Object.values(outputs)).filter((t) => t.op === 'MatMul' || t.op === 'Gemm');
  const rng = new Rng(7);
  const inputs: Tensor[] = [], feeds: Record<string, ReturnType<typeof hostTensor>> = {};
  let flops = 0;
  const sums = products.map((t, i) => {
    const args = t.inputs.map((x, j) => {
      const shape = numeric(x.shape), name = `m${i}.${j}`;
      const input = g.input(name, 'float32', shape);
      inputs.push(input);
      feeds[name] = hostTensor('float32', shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 1) as Float32Array);
      return input;
    });
    const y = g.reapply(t.op, args, t.attrs);
    const k = t.op === 'Gemm' ? numeric(args[0].shape)[(t.attrs.transA ? 0 : 1)] : numeric(args[0].shape).at(-1)!;
    flops += 2 * k * numeric(y.shape).reduce((a, b) => a * b, 1);
    return g.reduceSum(y);
  });
  const total = sums.reduce((a, b) => g.add(a, b));
  const session = await openSession(encodeModel(g.lower({ total }, { inputs })).bytes, { provider: 'cpu' });
  return {
    contender: { prepare: () => () => session.run(feeds), dispose: () => session.dispose() },
    info: { matmuls: products.length, gflop: +(flops / 1e9).toFixed(2) },
  };
}
