/**
 * Canonical on-disk bases under `<home>/bases/<id>/`:
 *   manifest.json  {format: 1, id, architecture, displayName, config, fingerprint,
 *                   maxLength, tensors: [{name, dims, offset}]}  (offsets in bytes, 64-aligned)
 *   weights.bin    float32 little-endian tensors at their offsets
 *   tokenizer.json a @huggingface/tokenizers tokenizer
 * A base directory is written whole into a temp sibling and renamed into place, so a
 * crash never leaves a half base; loading re-checks sizes and the fingerprint.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeChunks, writeDirAtomic } from '../store/atomic.js';
import type { Architecture } from './base.js';
import { weightsFingerprint, type WeightTensor, type Weights } from './weights.js';

export const BASE_FORMAT = 1;
const ALIGN = 64;
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface BaseManifest {
  format: number;
  id: string;
  architecture: Architecture;
  displayName: string;
  /** Architecture-specific hyper-parameters (JSON). */
  config: unknown;
  fingerprint: string;
  maxLength: number;
  tensors: { name: string; dims: number[]; offset: number }[];
}

export interface StoredBase {
  manifest: BaseManifest;
  weights: Weights;
  /** The tokenizer.json text. */
  tokenizerJson: string;
}

export class BaseStoreError extends Error {}

export const basesDir = (home: string) => join(home, 'bases');

export function checkBaseId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new BaseStoreError(`invalid base id '${id}': use 1–64 of a-z 0-9 . _ - starting with a letter or digit`);
  return id;
}

/** Write a base atomically; refuses to overwrite an existing id. Returns its manifest. */
export function saveBase(home: string, base: Omit<BaseManifest, 'format' | 'fingerprint' | 'tensors'> & { weights: Weights; tokenizerJson: string }): BaseManifest {
  const dir = join(basesDir(home), checkBaseId(base.id));
  if (existsSync(dir)) throw new BaseStoreError(`a base with id '${base.id}' is already installed`);
  const tensors: BaseManifest['tensors'] = [];
  // 64-aligned tensors, written one by one with the zero padding between them.
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const [name, t] of base.weights) {
    const at = Math.ceil(size / ALIGN) * ALIGN;
    if (at > size) chunks.push(new Uint8Array(at - size));
    tensors.push({ name, dims: [...t.dims], offset: at });
    chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    size = at + t.data.byteLength;
  }
  const { weights, tokenizerJson, ...meta } = base;
  const manifest: BaseManifest = { format: BASE_FORMAT, ...meta, fingerprint: weightsFingerprint(weights), tensors };
  writeDirAtomic(dir, (tmp) => {
    writeChunks(join(tmp, 'weights.bin'), chunks);
    writeFileSync(join(tmp, 'tokenizer.json'), tokenizerJson);
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
  });
  return manifest;
}

/** Ids of the installed bases (directories with a manifest), sorted. */
export function listBaseIds(home: string): string[] {
  const dir = basesDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => ID_PATTERN.test(n) && existsSync(join(dir, n, 'manifest.json'))).sort();
}

export function readBaseManifest(home: string, id: string): BaseManifest {
  const path = join(basesDir(home), checkBaseId(id), 'manifest.json');
  if (!existsSync(path)) throw new BaseStoreError(`no base '${id}' is installed`);
  const m = JSON.parse(readFileSync(path, 'utf8')) as BaseManifest;
  if (m.format !== BASE_FORMAT) throw new BaseStoreError(`base '${id}': manifest format ${m.format}, this app reads ${BASE_FORMAT}`);
  return m;
}

/** Load a base and check every tensor's extent and the fingerprint. */
export function loadStoredBase(home: string, id: string): StoredBase {
  const manifest = readBaseManifest(home, id);
  const dir = join(basesDir(home), id);
  // Each tensor read into memory of its own (aligned, for in-place patching): never the whole file at once.
  const fd = openSync(join(dir, 'weights.bin'), 'r');
  const weights = new Map<string, WeightTensor>();
  try {
    const fileBytes = fstatSync(fd).size;
    for (const { name, dims, offset } of manifest.tensors) {
      const n = dims.reduce((a, b) => a * b, 1);
      if (offset % 4 !== 0 || offset + 4 * n > fileBytes) throw new BaseStoreError(`base '${id}': tensor ${name} lies outside weights.bin (truncated file?)`);
      const data = new Float32Array(n), bytes = new Uint8Array(data.buffer);
      for (let at = 0, got = 1; at < bytes.length && got > 0; at += got) got = readSync(fd, bytes, at, bytes.length - at, offset + at);
      weights.set(name, { dims, data });
    }
  } finally {
    closeSync(fd);
  }
  if (weightsFingerprint(weights) !== manifest.fingerprint) throw new BaseStoreError(`base '${id}': weights do not match the manifest's fingerprint (corrupt install)`);
  return { manifest, weights, tokenizerJson: readFileSync(join(dir, 'tokenizer.json'), 'utf8') };
}
