/**
 * Canonical on-disk bases under `<home>/bases/<id>/`:
 *   manifest.json  {format: 1, id, architecture, displayName, config, fingerprint,
 *                   maxLength, tensors: [{name, dims, offset}]}  (offsets in bytes, 64-aligned)
 *   weights.bin    float32 little-endian tensors at their offsets
 *   tokenizer.json a @huggingface/tokenizers tokenizer
 *   checksums.json the sha256 of each file (durable/atomic.ts)
 * A base directory is written whole into a temp sibling and renamed into place, so a
 * crash never leaves a half base; loading checks every file's checksum, sizes and the
 * fingerprint (a damaged base is a BaseDamagedError: registry.ts converts a shipped one
 * again). Writers hold the base store's lock (`bases/.lock`).
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DamagedError, readVerified, removeAtomic, sweepTemps, verifiedPath, writeChunks, writeDirAtomic } from '../durable/atomic.js';
import { withLock } from '../durable/lock.js';
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
  withBaseStoreLock(home, () => {
    refuseExisting();
    sweepTemps(basesDir(home)); // a killed writer's half-written base
    writeDirAtomic(dir, (tmp) => {
      writeChunks(join(tmp, 'weights.bin'), chunks);
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
function baseFile<T>(home: string, id: string, name: string, read: (dir: string, name: string) => T): T {
  try {
    return read(join(basesDir(home), id), name);
  } catch (e) {
    throw e instanceof DamagedError ? new BaseDamagedError(`base '${id}': ${e.message}`) : e;
  }
}
const readBaseFile = (home: string, id: string, name: string) => baseFile(home, id, name, readVerified);

/** An installed base's tokenizer.json text, checked against its checksum. */
export const readBaseTokenizerJson = (home: string, id: string): string => readBaseFile(home, checkBaseId(id), 'tokenizer.json').toString('utf8');

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
  // Checked against its checksum in chunks, then each tensor read into memory of its own
  // (aligned, for in-place patching): never the whole file at once.
  const fd = openSync(baseFile(home, id, 'weights.bin', verifiedPath), 'r');
  const weights = new Map<string, WeightTensor>();
  try {
    const fileBytes = fstatSync(fd).size;
    for (const { name, dims, offset } of manifest.tensors) {
      const n = dims.reduce((a, b) => a * b, 1);
      if (offset % 4 !== 0 || offset + 4 * n > fileBytes) throw new BaseDamagedError(`base '${id}': tensor ${name} lies outside weights.bin (truncated file?)`);
      const data = new Float32Array(n), bytes = new Uint8Array(data.buffer);
      for (let at = 0, got = 1; at < bytes.length && got > 0; at += got) got = readSync(fd, bytes, at, bytes.length - at, offset + at);
      weights.set(name, { dims, data });
    }
  } finally {
    closeSync(fd);
  }
  if (weightsFingerprint(weights) !== manifest.fingerprint) throw new BaseDamagedError(`base '${id}': weights do not match the manifest's fingerprint (corrupt install)`);
  return { manifest, weights, tokenizerJson: readBaseFile(home, id, 'tokenizer.json').toString('utf8') };
}
