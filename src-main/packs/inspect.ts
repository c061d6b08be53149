/** What `pack inspect` and the benchmarks report about a pack: header, sizes, nnz per tensor. */
import { readEnvelope } from './codec.js';
import { numelOf, type PackContent } from './format.js';
import { chooseIndexEncoding, encodeIndices } from './indices.js';
import { BYTES_PER_VALUE } from './values.js';

export interface TensorReport {
  name: string;
  dims: number[];
  nnz: number;
  density: number;
  indexEncoding: 'gaps' | 'bitmap';
  indexBytes: number;
  valueEncoding: string;
  valueBytes: number;
  scale?: number;
}

export interface PackReport {
  header: { version: number; digest: string; totalBytes: number; bodyBytes: number; signed: boolean; signer: string | null };
  base: PackContent['base'];
  task: PackContent['task'];
  provenance: PackContent['provenance'];
  diffs: TensorReport[];
  dense: { name: string; dims: number[]; bytes: number }[];
  totals: { nnz: number; diffBytes: number; denseBytes: number; bytesPerNonzero: number | null };
}

/** `bytes` must already have decoded to `content` (this re-reads only the envelope). */
export function packReport(bytes: Uint8Array, content: PackContent): PackReport {
  const env = readEnvelope(bytes);
  const diffs = content.diffs.map((d): TensorReport => {
    const numel = numelOf(d.dims);
    const indexEncoding = chooseIndexEncoding(d.indices, numel);
    const r: TensorReport = {
      name: d.name, dims: d.dims, nnz: d.indices.length, density: d.indices.length / numel, indexEncoding,
      indexBytes: encodeIndices(d.indices, numel, indexEncoding).length,
      valueEncoding: d.values.encoding, valueBytes: d.values.data.length * BYTES_PER_VALUE[d.values.encoding],
    };
    if (d.values.encoding === 'int8') r.scale = d.values.scale;
    return r;
  });
  const nnz = diffs.reduce((a, d) => a + d.nnz, 0);
  const diffBytes = diffs.reduce((a, d) => a + d.indexBytes + d.valueBytes, 0);
  return {
    header: {
      version: env.version, digest: env.digest, totalBytes: env.totalBytes, bodyBytes: env.bodyBytes,
      signed: env.signature !== undefined, signer: env.signature ? Buffer.from(env.signature.publicKey).toString('base64') : null,
    },
    base: content.base, task: content.task, provenance: content.provenance, diffs,
    dense: content.dense.map((t) => ({ name: t.name, dims: t.dims, bytes: 4 * t.data.length })),
    totals: { nnz, diffBytes, denseBytes: content.dense.reduce((a, t) => a + 4 * t.data.length, 0), bytesPerNonzero: nnz ? diffBytes / nnz : null },
  };
}
