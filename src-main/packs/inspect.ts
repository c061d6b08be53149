/** What `pack inspect` and the benchmarks report about a pack: header, kind and module, sizes, nnz per tensor. */
import { readEnvelope } from './codec.js';
import { numelOf, type ModuleSpec, type PackContent, type PackKind } from './format.js';
import { chooseIndexEncoding, encodeIndices } from './indices.js';
import { describeModule } from './module-names.js';
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

export interface ModuleTensorReport {
  name: string;
  dims: number[];
  valueEncoding: string;
  valueBytes: number;
  scale?: number;
}

export interface PackReport {
  header: { version: number; digest: string; totalBytes: number; bodyBytes: number; signed: boolean; signer: string | null };
  base: PackContent['base'];
  task: PackContent['task'];
  provenance: PackContent['provenance'];
  kind: PackKind;
  /** The module spec and its description ('LoRA r 8 α 16 (qv)'); null for a diff pack. */
  module: (ModuleSpec & { description: string }) | null;
  diffs: TensorReport[];
  modules: ModuleTensorReport[];
  dense: { name: string; dims: number[]; bytes: number }[];
  totals: { nnz: number; diffBytes: number; moduleParameters: number; moduleBytes: number; denseBytes: number; bytesPerNonzero: number | null };
}

const valueReport = (v: PackContent['modules'][number]['values']) =>
  ({ valueEncoding: v.encoding, valueBytes: v.data.length * BYTES_PER_VALUE[v.encoding], ...(v.encoding === 'int8' ? { scale: v.scale } : {}) });

/** `bytes` must already have decoded to `content` (this re-reads only the envelope). */
export function packReport(bytes: Uint8Array, content: PackContent): PackReport {
  const env = readEnvelope(bytes);
  const diffs = content.diffs.map((d): TensorReport => {
    const numel = numelOf(d.dims);
    const indexEncoding = chooseIndexEncoding(d.indices, numel);
    return {
      name: d.name, dims: d.dims, nnz: d.indices.length, density: d.indices.length / numel, indexEncoding,
      indexBytes: encodeIndices(d.indices, numel, indexEncoding).length, ...valueReport(d.values),
    };
  });
  const modules = content.modules.map((t): ModuleTensorReport => ({ name: t.name, dims: t.dims, ...valueReport(t.values) }));
  const nnz = diffs.reduce((a, d) => a + d.nnz, 0);
  const diffBytes = diffs.reduce((a, d) => a + d.indexBytes + d.valueBytes, 0);
  return {
    header: {
      version: env.version, digest: env.digest, totalBytes: env.totalBytes, bodyBytes: env.bodyBytes,
      signed: env.signature !== undefined, signer: env.signature ? Buffer.from(env.signature.publicKey).toString('base64') : null,
    },
    base: content.base, task: content.task, provenance: content.provenance,
    kind: content.kind, module: content.module ? { ...content.module, description: describeModule(content.module) } : null, diffs, modules,
    dense: content.dense.map((t) => ({ name: t.name, dims: t.dims, bytes: 4 * t.data.length })),
    totals: {
      nnz, diffBytes, moduleParameters: content.modules.reduce((a, t) => a + numelOf(t.dims), 0), moduleBytes: modules.reduce((a, t) => a + t.valueBytes, 0),
      denseBytes: content.dense.reduce((a, t) => a + 4 * t.data.length, 0), bytesPerNonzero: nnz ? diffBytes / nnz : null,
    },
  };
}
