/**
 * The base a run's phases train, and the way back to the whole base. Diff pruning trains a
 * view whose token table holds only the rows the training and dev texts look up
 * (model/compact-vocabulary.ts); what depends on the whole base still counts it: the sparsity
 * budget's d, λ's E[nnz δ] target, the projection's sample of the gates (drawn as for the whole
 * table), and the pack (the token table's diff and mask back in the whole table's rows). Dense
 * phases train the base itself (their weight decay moves every row).
 */
import type { Dataset } from '../data/index.js';
import type { BaseModel } from '../model/base.js';
import { compactVocabulary, type CompactVocabulary } from '../model/compact-vocabulary.js';
import { TOKEN_TABLE } from '../model/layers.js';
import type { CheckpointTensor } from './checkpoint.js';
import { diffName } from './diff-params.js';
import { maskName, methodPhases, type Method } from './methods.js';
import type { CutRows } from './projection.js';
import { f32Of, type RunState } from './run-state.js';
import { paramInput } from './step-graph.js';

/** A saved tensor that does not fit this run's graph (a checkpoint or L0 state of an older version, or of other data). */
export const misfit = (what: string, name: string, dims: readonly unknown[], expected: readonly unknown[]) =>
  `the saved ${what}'s '${name}' is [${dims.join(', ')}] where this run trains [${expected.join(', ')}]: it was saved by another version of the app or for other data; start the run afresh`;

export class TrainedBase {
  private vocabulary?: CompactVocabulary;

  /** `wholeTable`: train diff pruning over every row too (comparisons; TrainInput.fullVocabulary). */
  constructor(readonly whole: BaseModel, private readonly method: Method, private readonly texts: { train: Dataset; dev: Dataset }, private readonly wholeTable = false) {}

  /** The base the phases train (the cut view is built on first use: it tokenizes every text). */
  get base(): BaseModel {
    if (methodPhases(this.method)[0] !== 'l0' || this.wholeTable) return this.whole;
    const { train, dev } = this.texts;
    this.vocabulary ??= compactVocabulary(this.whole, train.task, [train.rows, dev.rows]);
    return this.vocabulary.base;
  }

  /** Parameters of the whole base's tensors `names`: the sparsity budget's d, and what λ's schedule measures E[nnz δ] against. */
  penalised(names: readonly string[]): number {
    return names.reduce((a, n) => a + this.whole.weights.get(n)!.data.length, 0);
  }

  /** The rows a cut tensor keeps (the token table of a cut view), for drawing its gate sample as the whole table's. */
  cutRows(name: string): CutRows | undefined {
    return this.vocabulary && name === TOKEN_TABLE ? this.vocabulary : undefined;
  }

  /** A run's final state with the token table's diff and mask back in the whole table's rows (zero in the rows cut). */
  wholeState(state: RunState): RunState {
    const v = this.vocabulary;
    if (!v) return state;
    const out: RunState = new Map(state);
    for (const n of [paramInput(diffName(TOKEN_TABLE)), maskName(TOKEN_TABLE)]) {
      const t = state.get(n);
      if (t) out.set(n, { dims: [...this.whole.weights.get(TOKEN_TABLE)!.dims], data: v.expand(f32Of(t)) });
    }
    return out;
  }

  /** Throws, naming the tensor, where a saved state's diffs do not have the trained base's shapes. */
  checkFits(what: string, tensors: ReadonlyMap<string, CheckpointTensor>): void {
    const prefix = paramInput(diffName('')), weights = this.base.weights;
    for (const [name, t] of tensors) {
      const w = name.startsWith(prefix) ? weights.get(name.slice(prefix.length)) : undefined;
      if (w && w.dims.join('x') !== t.dims.join('x')) throw new Error(misfit(what, name, t.dims, w.dims));
    }
  }
}
