/**
 * Task pack format v1: what a pack holds (docs/taskpack-format.md has the bytes).
 * Content keeps diff values in their stored form (see values.ts) so that decoding and
 * re-encoding a pack reproduces it byte for byte.
 */
import type { TaskSpec, TaskType } from '../model/base.js';
import type { DiffValues } from './values.js';

/** 0x89 'T' 'P' 'K' CR LF SUB LF: a high byte and line ends catch text-mode mangling, as PNG's. */
export const PACK_MAGIC = Uint8Array.of(0x89, 0x54, 0x50, 0x4b, 0x0d, 0x0a, 0x1a, 0x0a);
export const PACK_VERSION = 1;
export const HEADER_BYTES = 16;
export const DIGEST_BYTES = 32;
/** Ed25519 public key (32) + signature (64). */
export const SIGNATURE_BLOCK_BYTES = 96;
export const PACK_EXTENSION = '.taskpack';

/** Bounds on declared sizes: checked before anything is allocated from them. */
export const LIMITS = {
  packBytes: 2 ** 30,
  tensors: 65536,
  rank: 8,
  numel: 2 ** 31,
  nameChars: 256,
  textChars: 65536,
  labels: 65536,
  mapEntries: 1024,
  inputColumns: 4,
  maxLength: 1 << 20,
} as const;

export interface PackTask {
  name: string;
  description: string;
  type: TaskType;
  /** Class names in output order; empty for regression. */
  labels: string[];
  /** The data columns the task reads (1 or 2 for text / text pair). */
  inputColumns: string[];
  maxLength: number;
  /** Identifies the tokenizer the base used (e.g. `<base id>/tokenizer.json` or a hash). */
  tokenizer: string;
  appVersion: string;
  /** ISO 8601 UTC, e.g. 2026-01-02T03:04:05.000Z. */
  createdAt: string;
}

export type HyperValue = number | string | boolean;

export interface PackProvenance {
  /** diff · diff-structured · full · last-layer · bitfit · magnitude (train/methods.ts), or another method name. */
  method: string;
  hyperParameters: Record<string, HyperValue>;
  /** SHA-256 (hex) of the training data as the trainer read it; '' when unknown. */
  trainingData: string;
  /** Metrics on the dev set (GLUE names: accuracy, f1, mcc, pearson, spearman). */
  devMetrics: Record<string, number>;
}

/** δ on one base tensor: indices into its row-major values, strictly increasing. */
export interface SparseDiff {
  name: string;
  dims: number[];
  indices: Uint32Array;
  values: DiffValues;
}

/** A tensor the base does not have (the task head): dense float32. */
export interface DenseTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface PackSignature {
  /** Raw Ed25519 public key (32 bytes). */
  publicKey: Uint8Array;
  /** Ed25519 signature (64 bytes) over the 32-byte content digest. */
  signature: Uint8Array;
}

export interface PackContent {
  base: { id: string; fingerprint: string };
  task: PackTask;
  provenance: PackProvenance;
  diffs: SparseDiff[];
  dense: DenseTensor[];
  signature?: PackSignature;
}

export const numelOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The task a pack's head computes: its outputs follow from the labels, a pair from two input columns. */
export const taskSpecOfPack = (c: Pick<PackContent, 'task'>): TaskSpec => ({
  type: c.task.type, outputs: c.task.type === 'regression' ? 1 : c.task.labels.length, pair: c.task.inputColumns.length > 1,
});
