/**
 * What every base model (the shipped USE-lite, imported BERTs) offers the rest of the app:
 * its frozen weights and fingerprint, its tokenizer as graph feeds, and graph builders for
 * the sentence embedding and a task's outputs. Training wraps the weights (θ + δ) through
 * the ParamFn; inference feeds them as-is.
 */
import type { Tensor } from '../graph/index.js';
import type { HostTensor } from '../runtime/index.js';
import type { ParamFn } from './layers.js';
import type { Weights } from './weights.js';

export type Architecture = 'use-lite' | 'bert';
export type TaskType = 'classification' | 'regression';

export interface TaskSpec {
  type: TaskType;
  /** Number of classes; 1 for regression. */
  outputs: number;
  /** Text-pair task (two text columns). */
  pair: boolean;
}

export interface TextRow {
  text: string;
  pair?: string;
}

export interface BaseModel {
  readonly id: string;
  readonly architecture: Architecture;
  /** weightsFingerprint(weights): what task packs bind to. */
  readonly fingerprint: string;
  /** The frozen base θ under canonical names (excludes any task head). */
  readonly weights: Weights;
  /** Longest token sequence the model accepts. */
  readonly maxLength: number;
  /** Width of embed()'s output. */
  readonly embeddingDim: number;

  /** The graph's token inputs for a task, with symbolic 'batch'/'seq' dims; names match encode()'s keys. */
  inputs(task: TaskSpec): Record<string, Tensor>;
  /** The feeds of encode() that hold row ids of the token table (layers.ts's TOKEN_TABLE). */
  tokenIdFeeds(task: TaskSpec): string[];
  /** Tokenise rows into feeds for inputs(task): padded to the longest row, truncated to maxLength. */
  encode(rows: readonly TextRow[], task: TaskSpec, maxLength?: number): Record<string, HostTensor>;
  /** Sentence embedding [batch, embeddingDim] of single texts (task = {pair: false}). */
  embed(p: ParamFn, inputs: Record<string, Tensor>): Tensor;
  /** Shapes of the task head: dense, trained from scratch, unpenalised; names start with 'head.'. */
  headShapes(task: TaskSpec): Record<string, number[]>;
  /** [batch, task.outputs]: class logits, or the regression score. */
  taskOutputs(p: ParamFn, inputs: Record<string, Tensor>, task: TaskSpec): Tensor;
}
