/**
 * The float64 reference interpreter: evaluates any DSL graph with plain loops, every float
 * in double precision. It is the oracle for gradient checks and for ONNX Runtime parity.
 */
import { opDef } from './ops/index.js';
import { resolveDim, ShapeError } from './shape.js';
import { isFloat, type NDArray, type Tensor } from './tensor.js';
import { topoSort } from './topo.js';
import { fromHalf } from '../onnx/float16.js';

const toF64 = (x: NDArray): NDArray =>
  x.data instanceof Uint16Array ? { ...x, data: Float64Array.from(x.data, fromHalf) } // float16 bits
  : isFloat(x.dtype) && !(x.data instanceof Float64Array) ? { ...x, data: Float64Array.from(x.data) } : x;

/** Evaluates `outputs` given feeds for the graph's inputs, by name. */
export function evaluate(outputs: readonly Tensor[], feeds: Readonly<Record<string, NDArray>>): NDArray[] {
  const order = topoSort(outputs);
  const bind = new Map<string, number>();
  const env = { dim: (d: number | string) => resolveDim(d, bind) };
  const values = new Map<Tensor, NDArray>();

  for (const t of order) {
    if (t.op !== 'Input') continue;
    const f = feeds[t.name!];
    if (!f) throw new Error(`evaluate: no feed for input '${t.name}'`);
    if (f.shape.length !== t.rank) throw new ShapeError(`input '${t.name}': rank ${f.shape.length}, expected ${t.rank}`);
    t.shape.forEach((d, i) => {
      if (typeof d === 'number') {
        if (d !== f.shape[i]) throw new ShapeError(`input '${t.name}': dim ${i} is ${f.shape[i]}, expected ${d}`);
      } else if (!d.includes('*')) {
        const prev = bind.get(d);
        if (prev !== undefined && prev !== f.shape[i]) throw new ShapeError(`input '${t.name}': '${d}' is ${f.shape[i]} here but ${prev} elsewhere`);
        bind.set(d, f.shape[i]);
      }
    });
    values.set(t, toF64(f));
  }
  for (const t of order) {
    if (t.op === 'Input') continue;
    if (t.op === 'Const') { values.set(t, toF64(t.attrs.value as NDArray)); continue; }
    const out = opDef(t.op)!.eval(t.inputs.map((x) => values.get(x)!), t, env);
    const expect = t.shape.map((d) => env.dim(d));
    if (expect.length !== out.shape.length || expect.some((d, i) => d !== out.shape[i]))
      throw new ShapeError(`evaluate: ${t.op} produced [${out.shape}], its shape rule says [${expect}]`);
    values.set(t, out);
  }
  return outputs.map((o) => values.get(o)!);
}
