/**
 * Reads a TF.js graph model's weights (model.json's weightsManifest + its binary shards)
 * and its small graph constants, checking every shard is present and exactly as long as
 * the manifest says. Read-only: nothing here writes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class TfjsModelError extends Error {}

export interface TfjsTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

export interface TfjsGraphModel {
  /** Graph nodes (op, name, inputs): enough to check the architecture. */
  nodes: { name: string; op: string; input?: string[] }[];
  tensors: Map<string, TfjsTensor>;
}

export function readTfjsGraphModel(modelJsonPath: string): TfjsGraphModel {
  if (!existsSync(modelJsonPath)) throw new TfjsModelError(`model.json not found at ${modelJsonPath}`);
  let json: { modelTopology?: { node?: TfjsGraphModel['nodes'] }; weightsManifest?: { paths: string[]; weights: WeightSpec[] }[] };
  try {
    json = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
  } catch (e) {
    throw new TfjsModelError(`model.json is not valid JSON: ${(e as Error).message}`);
  }
  const nodes = json.modelTopology?.node;
  const manifest = json.weightsManifest;
  if (!Array.isArray(nodes) || !Array.isArray(manifest)) throw new TfjsModelError('model.json: not a TF.js graph model (no modelTopology.node or weightsManifest)');
  const dir = dirname(modelJsonPath);
  const tensors = new Map<string, TfjsTensor>();
  for (const group of manifest) {
    const bytes = readShards(dir, group.paths);
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.quantization) throw new TfjsModelError(`weight ${spec.name}: quantized weights are not supported`);
      if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new TfjsModelError(`weight ${spec.name}: dtype ${spec.dtype} is not supported`);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const end = offset + 4 * n;
      if (end > bytes.byteLength) {
        throw new TfjsModelError(`shards ${group.paths.join(', ')} hold ${bytes.byteLength} bytes, but the manifest needs at least ${end} (truncated shard?)`);
      }
      const copy = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + end);
      tensors.set(spec.name, { dtype: spec.dtype, shape: [...spec.shape], data: spec.dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy) });
      offset = end;
    }
    if (offset !== bytes.byteLength) {
      throw new TfjsModelError(`shards ${group.paths.join(', ')} hold ${bytes.byteLength} bytes, the manifest describes ${offset}`);
    }
  }
  return { nodes, tensors };
}

function readShards(dir: string, paths: string[]): Uint8Array {
  const parts = paths.map((p) => {
    const file = join(dir, p);
    if (!existsSync(file) || !statSync(file).isFile()) throw new TfjsModelError(`weight shard '${p}' is missing (expected at ${file})`);
    return readFileSync(file);
  });
  const out = new Uint8Array(parts.reduce((a, b) => a + b.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
