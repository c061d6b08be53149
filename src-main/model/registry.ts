/**
 * The bases a user has: the shipped ones declared in resources/bases.json (converted from
 * their npm package into the canonical store on first use) and any imported ones.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectRoot } from '../paths.js';
import type { BaseModel } from './base.js';
import { BaseDamagedError, BaseStoreError, listBaseIds, loadStoredBase, readBaseManifest, removeBase, saveBase, withBaseStoreLock, type BaseManifest } from './base-store.js';
import { baseFromStored } from './load-base.js';
import { convertUseLite } from './use-lite-convert.js';

export interface ShippedBase {
  id: string;
  architecture: 'use-lite';
  displayName: string;
  license: string;
  /** An npm dependency holding a TF.js graph model and its vocab (paths inside the package). */
  source: { npm: string; version: string; model: string; vocab: string };
}

export interface BaseListing {
  id: string;
  architecture: string;
  displayName: string;
  shipped: boolean;
  /** Converted into the store already (a shipped base converts on first use). */
  installed: boolean;
  fingerprint?: string;
  maxLength?: number;
  parameters?: number;
}

export type Log = (line: string) => void;

let shippedCache: ShippedBase[] | undefined;

export function shippedBases(): ShippedBase[] {
  if (!shippedCache) {
    const file = join(projectRoot(), 'resources', 'bases.json');
    shippedCache = (JSON.parse(readFileSync(file, 'utf8')) as { shipped: ShippedBase[] }).shipped;
  }
  return shippedCache;
}

/** The base used when none is named: the first shipped one. */
export const defaultBaseId = (): string => shippedBases()[0].id;

const parameters = (m: BaseManifest) => m.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);

function listing(m: BaseManifest, shipped: boolean): BaseListing {
  return { id: m.id, architecture: m.architecture, displayName: m.displayName, shipped, installed: true, fingerprint: m.fingerprint, maxLength: m.maxLength, parameters: parameters(m) };
}

/** Shipped bases first (in declaration order), then the imported ones by id. */
export function listBases(home: string): BaseListing[] {
  const installed = new Set(listBaseIds(home));
  const shipped = shippedBases().map((s): BaseListing =>
    installed.has(s.id) ? listing(readBaseManifest(home, s.id), true) : { id: s.id, architecture: s.architecture, displayName: s.displayName, shipped: true, installed: false });
  const shippedIds = new Set(shipped.map((s) => s.id));
  return [...shipped, ...[...installed].filter((id) => !shippedIds.has(id)).map((id) => listing(readBaseManifest(home, id), false))];
}

/** Where an npm dependency is installed. */
function packageDir(name: string, version: string): string {
  const require = createRequire(join(projectRoot(), 'package.json'));
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${name}/package.json`);
  } catch {
    throw new BaseStoreError(`the shipped base's package ${name} is not installed (run npm ci)`);
  }
  const found = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { version?: string }).version;
  if (found !== version) throw new BaseStoreError(`${name} is version ${found}, the shipped base is declared from ${version}`);
  return dirname(manifestPath);
}

/** Convert a shipped base into the store unless it is there already (idempotent; a damaged copy is converted again). */
export function ensureShippedBase(home: string, id: string = defaultBaseId(), log: Log = () => {}): BaseManifest {
  const spec = shippedSpec(id);
  try {
    if (listBaseIds(home).includes(id)) return readBaseManifest(home, id);
  } catch (e) {
    if (!(e instanceof BaseDamagedError)) throw e;
  }
  return convertShipped(home, spec, log);
}

function shippedSpec(id: string): ShippedBase {
  const spec = shippedBases().find((s) => s.id === id);
  if (!spec) throw new BaseStoreError(`'${id}' is not a shipped base (shipped: ${shippedBases().map((s) => s.id).join(', ')})`);
  return spec;
}

/**
 * Convert a shipped base as the base store's one writer: a copy another process made
 * meanwhile is kept if it verifies; a damaged one (or a directory left without its
 * manifest) is removed and converted again.
 */
function convertShipped(home: string, spec: ShippedBase, log: Log): BaseManifest {
  return withBaseStoreLock(home, () => {
    if (listBaseIds(home).includes(spec.id)) {
      try {
        return loadStoredBase(home, spec.id).manifest;
      } catch (e) {
        if (!(e instanceof BaseDamagedError)) throw e;
        log(`the converted base '${spec.id}' does not verify (${e.message}); converting it again`);
      }
    }
    removeBase(home, spec.id);
    log(`converting the shipped base '${spec.id}' from ${spec.source.npm}@${spec.source.version} (first use)…`);
    const dir = packageDir(spec.source.npm, spec.source.version);
    return installUseLite(home, { id: spec.id, displayName: spec.displayName }, join(dir, spec.source.model), join(dir, spec.source.vocab), log);
  });
}

/**
 * Convert a USE-lite TF.js graph model (model.json + shards, vocab.json) into the store.
 * Every check runs before anything is written; the write itself is atomic.
 */
export function installUseLite(home: string, meta: { id: string; displayName: string }, modelJson: string, vocabJson: string, log: Log = () => {}): BaseManifest {
  const started = Date.now();
  const converted = convertUseLite(modelJson, vocabJson);
  const params = [...converted.weights.values()].reduce((a, t) => a + t.data.length, 0);
  log(`  read ${converted.weights.size} tensors (${(params / 1e6).toFixed(2)} M parameters); writing the base store…`);
  const manifest = saveBase(home, {
    ...meta, architecture: 'use-lite', config: converted.config, maxLength: converted.config.maxLength,
    weights: converted.weights, tokenizerJson: converted.tokenizerJson,
  });
  log(`  base '${meta.id}' ready in ${((Date.now() - started) / 1000).toFixed(1)} s (fingerprint ${manifest.fingerprint.slice(0, 16)}…)`);
  return manifest;
}

/** A base ready to build graphs with; a shipped base is converted first if needed, and again if its files do not verify. */
export function loadBase(home: string, id: string = defaultBaseId(), log: Log = () => {}): BaseModel {
  if (!shippedBases().some((s) => s.id === id)) return baseFromStored(loadStoredBase(home, id));
  ensureShippedBase(home, id, log);
  try {
    return baseFromStored(loadStoredBase(home, id));
  } catch (e) {
    if (!(e instanceof BaseDamagedError)) throw e;
    convertShipped(home, shippedSpec(id), log);
    return baseFromStored(loadStoredBase(home, id));
  }
}
