/**
 * Stored base → BaseModel, by manifest.architecture. The one place a new architecture is
 * registered: add its loader to LOADERS.
 */
import type { Architecture, BaseModel } from './base.js';
import { BaseStoreError, type StoredBase } from './base-store.js';
import { loadBertBase } from './bert/model.js';
import { UseLite } from './use-lite.js';

type Loader = (stored: StoredBase) => BaseModel;

const LOADERS: Partial<Record<Architecture, Loader>> = {
  'use-lite': (s) => UseLite.fromStored(s),
  bert: (s) => loadBertBase(s),
};

/** Build a loaded base; an architecture without a loader is a clear error. */
export function baseFromStored(stored: StoredBase): BaseModel {
  const { id, architecture } = stored.manifest;
  const load = LOADERS[architecture];
  if (!load) throw new BaseStoreError(`base '${id}': unsupported architecture '${architecture}' (this build loads: ${Object.keys(LOADERS).join(', ')})`);
  return load(stored);
}


