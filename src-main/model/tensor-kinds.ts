/**
 * Where a base tensor sits in the encoder: its row (the embeddings, a layer, or the pooler
 * on top) and its kind, from the canonical names every base is stored under (use-lite.ts,
 * bert/hf-weights.ts, encoder.ts). The one place that reads structure out of a name: the
 * pack anatomy (`taskpack pack inspect`, the Task packs page) and pack overlaps use it.
 *
 * A fused attention projection (`lN.attn.qkv.w`, [in, 3·d], the shipped base's) is split by
 * column thirds into q, k and v, so both bases read alike. Every bias and every layer norm
 * is its own kind, whatever it belongs to: diff pruning treats them alike (they are cheap
 * and often chosen).
 */

export const TENSOR_KINDS = ['embeddings', 'attn.q', 'attn.k', 'attn.v', 'attn.out', 'ffn.in', 'ffn.out', 'residual', 'pooler', 'layer-norm', 'bias', 'other'] as const;
export type TensorKind = (typeof TENSOR_KINDS)[number];

/** Short column headings (the CLI table, the Task packs heatmap). */
export const KIND_LABELS: Readonly<Record<TensorKind, string>> = {
  embeddings: 'embeddings', 'attn.q': 'attn q', 'attn.k': 'attn k', 'attn.v': 'attn v', 'attn.out': 'attn out',
  'ffn.in': 'ffn in', 'ffn.out': 'ffn out', residual: 'residual', pooler: 'pooler', 'layer-norm': 'layer norm', bias: 'bias', other: 'other',
};

/** 'embeddings', a layer's index, or 'pooler': the tanh / [CLS] dense layer on top (and anything else above the layers). */
export type TensorRow = 'embeddings' | number | 'pooler';

export interface TensorPlace {
  row: TensorRow;
  /** 'attn.qkv' for a fused projection's weight: split per position by countByKind. */
  kind: TensorKind | 'attn.qkv';
}

const LAYER_KINDS: Record<string, TensorKind | 'attn.qkv'> = {
  'attn.q': 'attn.q', 'attn.k': 'attn.k', 'attn.v': 'attn.v', 'attn.qkv': 'attn.qkv', 'attn.out': 'attn.out',
  'ffn.in': 'ffn.in', 'ffn.out': 'ffn.out', res: 'residual',
};
const FUSED: TensorKind[] = ['attn.q', 'attn.k', 'attn.v'];

export function classifyTensor(name: string): TensorPlace {
  const layer = /^l(\d+)\.(.+)$/.exec(name);
  const row: TensorRow = layer ? Number(layer[1]) : name.startsWith('emb.') ? 'embeddings' : 'pooler';
  const rest = layer ? layer[2] : name;
  if (/(^|\.)ln\d*\.[gb]$/.test(rest)) return { row, kind: 'layer-norm' };
  if (/\.b$/.test(rest)) return { row, kind: 'bias' };
  if (layer) {
    const kind = LAYER_KINDS[rest.replace(/\.w$/, '')];
    return { row, kind: kind && rest.endsWith('.w') ? kind : 'other' };
  }
  if (/^emb\.(tok|pos|type)$/.test(name)) return { row, kind: 'embeddings' };
  if (/^(pool|tanh)\.w$/.test(name)) return { row, kind: 'pooler' };
  return { row, kind: 'other' };
}

/** A tensor's positions `indices` (flat, row-major) counted per kind; its row with them. */
export function countByKind(name: string, dims: readonly number[], indices: Iterable<number>): { row: TensorRow; counts: Map<TensorKind, number> } {
  const { row, kind } = classifyTensor(name);
  const counts = new Map<TensorKind, number>();
  const cols = dims[dims.length - 1];
  // A fused weight is split only when its columns divide into thirds; otherwise it stays whole ('other').
  const split = kind === 'attn.qkv' && dims.length === 2 && cols % 3 === 0 ? cols / 3 : 0;
  for (const i of indices) {
    const k: TensorKind = kind === 'attn.qkv' ? (split ? FUSED[Math.floor((i % cols) / split)] : 'other') : kind;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return { row, counts };
}

export const rowLabel = (row: TensorRow) => (typeof row === 'number' ? `layer ${row}` : row);
