/**
 * Canonical on-disk bases under `<home>/bases/<id>/`:
 *   manifest.json  {format: 1, id, architecture, displayName, config, fingerprint,
 *                   maxLength, tensors: [{name, dims, offset}]}  (offsets in bytes, 64-aligned)
 *   weights.bin    float32 little-endian tensors at their offsets
 *   tokenizer.json a @huggingface/tokenizers tokenizer
 *   checksums.json the sha256 of each file (store/atomic.ts)
 * A base directory is written whole into a temp sibling and renamed into place, so a
 * crash never leaves a half base; loading checks every file's checksum, sizes and the
 * fingerprint (a damaged base is a BaseDamagedError: registry.ts converts a shipped one
 * again). Writers hold the base store's lock (`bases/.lock`).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DamagedError, readVerified, removeAtomic, sweepTemps, writeDirAtomic } from '../store/atomic.js';
import { withLock } from '../store/lock.js';
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
/** An installed base whose files do not verify (torn by a crash or changed since). */
export class BaseDamagedError extends BaseStoreError {}

export const basesDir = (home: string) => join(home, 'bases');

/** Run `fn` as the one writer of the base store (a conversion can take a while: waits up to 2 minutes). */
export const withBaseStoreLock = <T>(home: string, fn: () => T): T => withLock(join(basesDir(home), '.lock'), `the base store ${basesDir(home)}`, fn, 120_000);

export function checkBaseId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new BaseStoreError(`invalid base id '${id}': use 1–64 of a-z 0-9 . _ - starting with a letter or digit`);
  return id;
}

/** Write a base atomically; refuses to overwrite an existing id. Returns its manifest. */
export function saveBase(home: string, base: Omit<BaseManifest, 'format' | 'fingerprint' | 'tensors'> & { weights: Weights; tokenizerJson: string }): BaseManifest {
  const dir = join(basesDir(home), checkBaseId(base.id));
  const refuseExisting = () => { if (existsSync(dir)) throw new BaseStoreError(`a base with id '${base.id}' is already installed`); };
  refuseExisting();
  const tensors: BaseManifest['tensors'] = [];
  let size = 0;
  for (const [name, t] of base.weights) {
    size = Math.ceil(size / ALIGN) * ALIGN;
    tensors.push({ name, dims: [...t.dims], offset: size });
    size += t.data.byteLength;
  }
  const blob = new Uint8Array(size);
  tensors.forEach(({ name, offset }) => {
    const d = base.weights.get(name)!.data;
    blob.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), offset);
  });
  const { weights, tokenizerJson, ...meta } = base;
  const manifest: BaseManifest = { format: BASE_FORMAT, ...meta, fingerprint: weightsFingerprint(weights), tensors };
  withBaseStoreLock(home, () => {
    refuseExisting();
    sweepTemps(basesDir(home)); // a killed writer's half-written base
    writeDirAtomic(dir, (tmp) => {
      writeFileSync(join(tmp, 'weights.bin'), blob);
      writeFileSync(join(tmp, 'tokenizer.json'), tokenizerJson);
      writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
    });
  });
  return manifest;
}

/** Remove an installed base (to convert a damaged shipped one again); call it holding the base store's lock. */
export function removeBase(home: string, id: string): void {
  removeAtomic(join(basesDir(home), checkBaseId(id)));
}

/** File `name` of base `id`, checked against its checksum. */
function readBaseFile(home: string, id: string, name: string): Buffer {
  try {
    return readVerified(join(basesDir(home), id), name);
  } catch (e) {
    throw e instanceof DamagedError ? new BaseDamagedError(`base '${id}': ${e.message}`) : e;
  }
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
  let m: BaseManifest;
  try {
    m = JSON.parse(readBaseFile(home, id, 'manifest.json').toString('utf8')) as BaseManifest;
  } catch (e) {
    throw e instanceof SyntaxError ? new BaseDamagedError(`base '${id}': ${path} is unreadable`) : e;
  }
  if (m.format !== BASE_FORMAT) throw new BaseStoreError(`base '${id}': manifest format ${m.format}, this app reads ${BASE_FORMAT}`);
  return m;
}

/** Load a base and check every tensor's extent and the fingerprint. */
export function loadStoredBase(home: string, id: string): StoredBase {
  const manifest = readBaseManifest(home, id);
  const blob = readBaseFile(home, id, 'weights.bin');
  const weights = new Map<string, WeightTensor>();
  for (const { name, dims, offset } of manifest.tensors) {
    const n = dims.reduce((a, b) => a * b, 1);
    if (offset % 4 !== 0 || offset + 4 * n > blob.byteLength) throw new BaseDamagedError(`base '${id}': tensor ${name} lies outside weights.bin (truncated file?)`);
    // Copy out so the tensors own aligned memory that in-place patching can use.
    weights.set(name, { dims, data: new Float32Array(blob.buffer.slice(blob.byteOffset + offset, blob.byteOffset + offset + 4 * n)) });
  }
  if (weightsFingerprint(weights) !== manifest.fingerprint) throw new BaseDamagedError(`base '${id}': weights do not match the manifest's fingerprint (corrupt install)`);
  return { manifest, weights, tokenizerJson: readBaseFile(home, id, 'tokenizer.json').toString('utf8') };
}
