/**
 * The plain data the anatomy and trust services answer with. No Node imports: the renderer
 * type-checks these through ipc/contract.ts.
 */
import type { TensorKind } from '../model/tensor-kinds.js';

export interface PackAnatomy {
  /** Top to bottom in the order data flows: 'embeddings', 'layer 0', …, 'pooler'. */
  rows: string[];
  /** The kinds the base has (the pack's own when the base is not installed), in TENSOR_KINDS order. */
  kinds: { kind: TensorKind; label: string }[];
  /** Nonzeros per row and kind: counts[row][kind]. */
  counts: number[][];
  /** All nonzeros: the budget each cell's share is of. */
  nonzeros: number;
  /** The task head: dense new tensors, outside the sparse budget. */
  head: { tensors: number; parameters: number };
}

export interface OverlapPart {
  a: number;
  b: number;
  shared: number;
}

export interface PackOverlap {
  nonzeros: [number, number];
  shared: number;
  union: number;
  /** shared / union (0 when both are empty). */
  jaccard: number;
  byChance: number;
  byRow: (OverlapPart & { row: string })[];
  byKind: (OverlapPart & { kind: TensorKind; label: string })[];
}

export interface TrustedKey {
  name: string;
  publicKey: string;
  fingerprint: string;
}

export interface TrustSettings {
  /** Whether trusted-keys.json exists: without it any valid signature is accepted. */
  listed: boolean;
  requireSignature: boolean;
  keys: TrustedKey[];
}
