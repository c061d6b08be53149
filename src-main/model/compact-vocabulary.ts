/**
 * A base seen through the rows of its token table that a run's texts look up.
 *
 * Diff pruning keeps w, α and both of their Adam moments for every base parameter, and the
 * token table is the largest tensor (BERT-base: 23.4 M of 109.5 M parameters). A row that no
 * text looks up gets no gradient: its w stays at its initial 0 (diffs have no weight decay),
 * so its δ is 0 whatever its gates do. Training on the looked-up rows alone gives the same
 * δ on them (the gate noise too: gate-noise.ts draws a table's noise by ascending row, and
 * renumbering keeps that order) without the state of the others (SST-2: 12,008 of BERT-base's
 * 30,522 rows; 5,100 of the shipped base's 8,002). expand() puts a trained tensor back into
 * the full table's rows.
 */
import type { HostTensor } from '../runtime/index.js';
import type { BaseModel, TaskSpec, TextRow } from './base.js';
import { TOKEN_TABLE } from './layers.js';
import type { WeightTensor } from './weights.js';

export interface CompactVocabulary {
  /** The base with its token table cut to the kept rows; encode() renumbers the ids to them. */
  readonly base: BaseModel;
  /** The full table's row of each kept row, ascending. */
  readonly rows: Int32Array;
  /** Rows of the full table. */
  readonly fullRows: number;
  /** A tensor of the cut table's shape [kept rows, width] as the full table's, zero in the rows left out. */
  expand(data: Float32Array): Float32Array;
}

/** Rows a tokenizer's padding and its added tokens take: a probe whose two texts pad against each other. */
const PROBE: TextRow[] = [{ text: '', pair: '' }, { text: 'a a a', pair: 'a a a' }];

/**
 * The rows `texts` look up when encoded for `task` (at the base's own length limit, so any
 * shorter limit reads a subset), padding's row included.
 */
export function compactVocabulary(base: BaseModel, task: TaskSpec, texts: readonly (readonly TextRow[])[]): CompactVocabulary {
  const table = base.weights.get(TOKEN_TABLE);
  if (!table || table.dims.length !== 2) throw new Error(`base '${base.id}' has no token table '${TOKEN_TABLE}'`);
  const [fullRows, width] = table.dims;
  const idFeeds = base.tokenIdFeeds(task);
  const used = new Uint8Array(fullRows);
  const look = (rows: readonly TextRow[]) => {
    const feeds = base.encode(rows, task);
    for (const f of idFeeds) for (const id of feeds[f].data as Int32Array) used[id] = 1;
  };
  look(task.pair ? PROBE : PROBE.map(({ text }) => ({ text })));
  const CHUNK = 256;
  for (const rows of texts) for (let i = 0; i < rows.length; i += CHUNK) look(rows.slice(i, i + CHUNK));

  const rows = Int32Array.from({ length: fullRows }, (_, r) => r).filter((r) => used[r] === 1);
  const index = new Int32Array(fullRows).fill(-1);
  rows.forEach((r, k) => { index[r] = k; });
  const cut = new Float32Array(rows.length * width);
  rows.forEach((r, k) => cut.set(table.data.subarray(r * width, (r + 1) * width), k * width));
  const weights = new Map<string, WeightTensor>([...base.weights].map(([n, t]) => [n, n === TOKEN_TABLE ? { dims: [rows.length, width], data: cut } : t]));

  const renumber = (feeds: Record<string, HostTensor>, t: TaskSpec): Record<string, HostTensor> => {
    for (const f of base.tokenIdFeeds(t)) {
      const ids = feeds[f].data as Int32Array, out = new Int32Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        out[i] = index[ids[i]];
        if (out[i] < 0) throw new Error(`token row ${ids[i]} is outside the rows this run's texts look up (its vocabulary was cut to them)`);
      }
      feeds[f] = { ...feeds[f], data: out };
    }
    return feeds;
  };
  const view: BaseModel = {
    id: base.id, architecture: base.architecture, fingerprint: base.fingerprint, weights, maxLength: base.maxLength, embeddingDim: base.embeddingDim,
    inputs: (t) => base.inputs(t),
    tokenIdFeeds: (t) => base.tokenIdFeeds(t),
    encode: (r, t, maxLength) => renumber(base.encode(r, t, maxLength), t),
    embed: (p, x) => base.embed(p, x),
    headShapes: (t) => base.headShapes(t),
    taskOutputs: (p, x, t) => base.taskOutputs(p, x, t),
  };
  return {
    base: view, rows, fullRows,
    expand: (data) => {
      if (data.length !== rows.length * width) throw new Error(`expand: ${data.length} values, the cut table has ${rows.length} × ${width}`);
      const out = new Float32Array(fullRows * width);
      rows.forEach((r, k) => out.set(data.subarray(k * width, (k + 1) * width), r * width));
      return out;
    },
  };
}
