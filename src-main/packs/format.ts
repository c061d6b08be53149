/**
 * Task pack format: what a pack holds (docs/taskpack-format.md has the bytes). Version 1
 * holds a sparse diff; version 2 adds module packs (LoRA, adapters: `kind`, `module`,
 * `modules`). A diff pack is still written as version 1, so every v1 pack (and its
 * signature, and its id) re-encodes unchanged. Content keeps values in their stored form
 * (see values.ts) so that decoding and re-encoding a pack reproduces it byte for byte.
 */
import type { TaskSpec, TaskType } from '../model/base.js';
import type { ModuleSpec } from '../model/modules.js';
import type { DiffValues } from './values.js';

export type { ModuleSpec };

/** 0x89 'T' 'P' 'K' CR LF SUB LF: a high byte and line ends catch text-mode mangling, as PNG's. */
export const PACK_MAGIC = Uint8Array.of(0x89, 0x54, 0x50, 0x4b, 0x0d, 0x0a, 0x1a, 0x0a);
/** The newest format version; each kind is written in the oldest version that holds it (versionOf). */
export const PACK_VERSION = 2;
export const PACK_VERSIONS = [1, 2] as const;
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
  /** A LoRA rank or an adapter bottleneck. */
  moduleWidth: 4096,
  /** LoRA's α (the update is scaled by α/r). */
  loraAlpha: 65536,
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

export const PACK_KINDS = ['diff', 'lora', 'adapter'] as const;
export type PackKind = (typeof PACK_KINDS)[number];

/** A module tensor (LoRA factor, adapter weight): dense, values stored as the diffs' are. */
export interface ModuleTensor {
  name: string;
  dims: number[];
  values: DiffValues;
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
  /** 'diff': θ + δ only; 'lora' / 'adapter': the module tensors (+ Houlsby's LayerNorm changes as diffs). */
  kind: PackKind;
  /** The module's spec (absent for 'diff'). */
  module?: ModuleSpec;
  diffs: SparseDiff[];
  /** Module tensors under their canonical names (model/modules.ts); empty for 'diff'. */
  modules: ModuleTensor[];
  dense: DenseTensor[];
  signature?: PackSignature;
}

/** The format version a pack of this kind is written in. */
export const versionOf = (kind: PackKind) => (kind === 'diff' ? 1 : 2);

export const numelOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The task a pack's head computes: its outputs follow from the labels, a pair from two input columns. */
export const taskSpecOfPack = (c: Pick<PackContent, 'task'>): TaskSpec => ({
  type: c.task.type, outputs: c.task.type === 'regression' ? 1 : c.task.labels.length, pair: c.task.inputColumns.length > 1,
});
