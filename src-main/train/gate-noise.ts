/**
 * The gate noise a step graph reads (inputs `noise.<n>`, `groupnoise.<n>`: one logistic
 * draw per gate in float16, hard-concrete.ts), drawn each step into buffers that are reused
 * (the session reads feeds only while it runs).
 *
 * A noise table that the graph reads only through row lookups (the token embedding's gates:
 * graph/gather-rows gathers the noise with the ids) is drawn only for the rows the step's
 * ids name, in ascending row order: the other rows are never read, and for a BERT
 * vocabulary they are 30,000 of the few hundred a batch uses. What is drawn depends on the
 * batch and the generator's state alone, so a resumed run draws the same noise.
 */
import type { Tensor } from '../graph/index.js';
import { topoSort } from '../graph/topo.js';
import { groupNoiseName, noiseName } from './diff-params.js';
import { fillGateNoise } from './hard-concrete.js';
import type { Rng } from '../util/rng.js';

export interface NoiseInput {
  name: string;
  shape: number[];
  /** Names of the int32 inputs whose values are the only rows read; undefined: all of it is read. */
  rowsFrom?: string[];
}

const isNoiseName = (n: string) => n.startsWith(noiseName('')) || n.startsWith(groupNoiseName(''));

/** The noise inputs among a graph's inputs, and for each whether only looked-up rows are read. */
export function noiseInputs(inputs: readonly Tensor[], outputs: readonly Tensor[]): NoiseInput[] {
  const noise = inputs.filter((t) => t.op === 'Input' && t.name !== undefined && isNoiseName(t.name));
  const consumers = new Map<Tensor, Tensor[]>(noise.map((t) => [t, []]));
  for (const t of topoSort(outputs)) for (const x of t.inputs) consumers.get(x)?.push(t);
  return noise.map((t) => {
    const shape = t.shape.map((d) => {
      if (typeof d !== 'number') throw new Error(`noise input '${t.name}' has a symbolic dimension '${d}'`);
      return d;
    });
    const users = consumers.get(t)!;
    const byRows = t.rank === 2 && users.length > 0 && users.every((u) => u.op === 'Gather' && u.inputs[0] === t && !u.attrs.axis
      && u.inputs[1].op === 'Input' && u.inputs[1].dtype === 'int32');
    return { name: t.name!, shape, ...(byRows ? { rowsFrom: [...new Set(users.map((u) => u.inputs[1].name!))] } : {}) };
  });
}

export class GateNoise {
  /** float16 bits (fillGateNoise). */
  private readonly buffers = new Map<string, Uint16Array>();

  constructor(readonly inputs: readonly NoiseInput[]) {
    for (const i of inputs) this.buffers.set(i.name, new Uint16Array(i.shape.reduce((a, b) => a * b, 1)));
  }

  /**
   * Draw this step's noise: every input in order; a row-read table only in the rows that
   * `indices(name)` hold for its index inputs. The arrays returned are reused next step.
   */
  draw(rng: Rng, indices: (input: string) => ArrayLike<number>): Map<string, { shape: number[]; data: Uint16Array }> {
    const out = new Map<string, { shape: number[]; data: Uint16Array }>();
    for (const input of this.inputs) {
      const data = this.buffers.get(input.name)!;
      if (!input.rowsFrom) fillGateNoise(data, rng);
      else {
        const [rows, width] = input.shape;
        for (const r of usedRows(input.rowsFrom.map(indices), rows, input.name)) fillGateNoise(data.subarray(r * width, (r + 1) * width), rng);
      }
      out.set(input.name, { shape: input.shape, data });
    }
    return out;
  }
}

/** The distinct row ids, ascending; an id outside the table is an error (the lookup would fail). */
function usedRows(lists: ArrayLike<number>[], rows: number, name: string): number[] {
  const used = new Uint8Array(rows);
  for (const ids of lists) {
    for (let i = 0; i < ids.length; i++) {
      const r = ids[i];
      if (!(r >= 0 && r < rows)) throw new Error(`row ${r} is outside '${name}' (${rows} rows)`);
      used[r] = 1;
    }
  }
  const out: number[] = [];
  for (let r = 0; r < rows; r++) if (used[r]) out.push(r);
  return out;
}
