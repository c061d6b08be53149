/**
 * Installed bases as the pack store sees them: each one's size and layers, the packs that
 * depend on it (bound to its fingerprint, or made for its id), and removal, refused for the
 * shipped base and while any pack depends on it, naming those packs.
 */
import { readBaseManifest, removeBase, withBaseStoreLock, type BaseManifest } from '../model/base-store.js';
import { shippedBases } from '../model/registry.js';
import { PackStore, PackStoreError, type PackEntry } from './store.js';

/** Encoder layers: the distinct `l<N>.` prefixes of the canonical tensor names. */
export const layerCount = (m: BaseManifest) => new Set(m.tensors.map((t) => /^l(\d+)\./.exec(t.name)?.[1]).filter((l) => l !== undefined)).size;

/** Bytes of the base's float32 weights. */
export const weightBytes = (m: BaseManifest) => m.tensors.reduce((a, t) => a + 4 * t.dims.reduce((x, y) => x * y, 1), 0);

export function dependentPacks(home: string, m: BaseManifest): PackEntry[] {
  return new PackStore(home).list().filter((p) => p.base.fingerprint === m.fingerprint || p.base.id === m.id);
}

/** Remove an imported base; nothing changes when it is shipped, not installed, or packs depend on it. */
export function uninstallBase(home: string, id: string): BaseManifest {
  if (shippedBases().some((s) => s.id === id)) throw new PackStoreError(`'${id}' is the shipped base: it cannot be removed`);
  return withBaseStoreLock(home, () => {
    const m = readBaseManifest(home, id);
    const packs = dependentPacks(home, m);
    if (packs.length > 0) {
      const names = packs.map((p) => `'${p.task.name}' (${p.id})`).join(', ');
      throw new PackStoreError(`base '${id}' is used by ${packs.length} installed pack${packs.length > 1 ? 's' : ''}: ${names}; uninstall ${packs.length > 1 ? 'them' : 'it'} first`);
    }
    removeBase(home, id);
    return m;
  });
}
