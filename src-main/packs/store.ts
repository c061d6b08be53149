/**
 * The local pack store, `<home>/packs/`:
 *   index.json          {format: 1, packs: [PackEntry…]} — the one source of truth
 *   <id>.taskpack       each installed pack, byte for byte as installed (id = digest[0..16))
 *   trusted-keys.json   the trust policy (trust.ts): {requireSignature?: bool, keys: [{name, publicKey (base64)}]}
 * Every change commits with one atomic rename of index.json: install writes the pack file
 * first, then the index; uninstall writes the index first, then deletes the file. A crash
 * (kill -9) at any moment leaves the index as before or as after; a stray pack file or
 * temp file left behind is invisible (not in the index) and is swept by the next change.
 * Changes hold the store's lock (`.lock`, durable/lock.ts), so one process at a time writes
 * (the app, `taskpack serve`, the CLI); reads need none.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { listBaseIds, readBaseManifest } from '../model/base-store.js';
import { isAbandonedTemp, TEMP_PREFIX, writeFileAtomic } from '../durable/atomic.js';
import { withLock } from '../durable/lock.js';
import { checkAgainstBase, decodePack, readEnvelope, type PackBaseShapes } from './codec.js';
import { PackError, PackStoreError } from './errors.js';
import { LIMITS, PACK_EXTENSION, type PackContent } from './format.js';
import { readTrustFile, TRUST_FILE, trustSettings, type TrustFile, type TrustSettings } from './trust.js';

export { PackStoreError };

export const INDEX_FORMAT = 1;
const ID_LENGTH = 16;

const entrySchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  base: z.object({ id: z.string(), fingerprint: z.string() }),
  /** Whether the base was installed and the pack checked against its names and shapes. */
  baseChecked: z.boolean(),
  task: z.object({
    name: z.string(), type: z.enum(['classification', 'regression']), labels: z.array(z.string()),
    /** The text columns the pack reads (two for a text-pair task); absent in entries installed before it was recorded. */
    inputColumns: z.array(z.string()).optional(),
  }),
  method: z.string(),
  devMetrics: z.record(z.string(), z.number()),
  nnz: z.number().int().nonnegative(),
  /** Bytes of the pack's dense new tensors (the head). */
  denseBytes: z.number().int().nonnegative(),
  /** A LoRA or adapter pack's module (its budget on the Storage page); absent for diff packs. */
  module: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('lora'), rank: z.number(), alpha: z.number(), targets: z.enum(['qv', 'all']) }),
    z.object({ kind: z.literal('adapter'), variant: z.enum(['houlsby', 'pfeiffer']), bottleneck: z.number() }),
  ]).optional(),
  signer: z.string().nullable(),
  installedAt: z.string(),
});
const indexSchema = z.object({ format: z.literal(INDEX_FORMAT), packs: z.array(entrySchema) });

export type PackEntry = z.infer<typeof entrySchema>;

export const packsDir = (home: string) => join(home, 'packs');

export class PackStore {
  readonly dir: string;

  constructor(readonly home: string) {
    this.dir = packsDir(home);
  }

  private get indexPath() {
    return join(this.dir, 'index.json');
  }

  fileOf(id: string): string {
    return join(this.dir, `${id}${PACK_EXTENSION}`);
  }

  /** Installed packs, in install order. */
  list(): PackEntry[] {
    if (!existsSync(this.indexPath)) return [];
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.indexPath, 'utf8'));
    } catch (e) {
      throw new PackStoreError(`${this.indexPath} is not valid JSON (${(e as Error).message}); it is only written atomically, so something else changed it`);
    }
    const parsed = indexSchema.safeParse(raw);
    if (!parsed.success) throw new PackStoreError(`${this.indexPath}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
    return parsed.data.packs;
  }

  /** The entry whose id is `idOrPrefix` or starts with it (unique prefix of at least 4 characters). */
  find(idOrPrefix: string): PackEntry {
    const packs = this.list();
    const exact = packs.find((p) => p.id === idOrPrefix);
    if (exact) return exact;
    const hits = idOrPrefix.length >= 4 ? packs.filter((p) => p.id.startsWith(idOrPrefix)) : [];
    if (hits.length === 1) return hits[0];
    throw new PackStoreError(hits.length > 1 ? `'${idOrPrefix}' matches ${hits.length} installed packs; give more of the id` : `no installed pack '${idOrPrefix}' (see 'taskpack pack list')`);
  }

  private get trustPath() {
    return join(this.dir, TRUST_FILE);
  }

  /** Raw Ed25519 keys from trusted-keys.json (undefined when the file is absent: any valid signature is accepted). */
  trust(): { keys?: Uint8Array[]; requireSignature: boolean } {
    const file = readTrustFile(this.trustPath);
    if (!file) return { requireSignature: false };
    return { keys: file.keys.map((k) => new Uint8Array(Buffer.from(k.publicKey, 'base64'))), requireSignature: file.requireSignature ?? false };
  }

  /** The trust policy with names and fingerprints. */
  trustSettings(): TrustSettings {
    return trustSettings(readTrustFile(this.trustPath));
  }

  /** Change the trust policy under the store's lock (trust.ts's withKey, withoutKey…), written atomically. */
  changeTrust(change: (file: TrustFile | undefined) => TrustFile): TrustSettings {
    return this.change(() => {
      const file = change(readTrustFile(this.trustPath));
      writeFileAtomic(this.trustPath, `${JSON.stringify(file, null, 1)}\n`);
      return trustSettings(file);
    });
  }

  /** Decode strictly: the store's trust policy, and the base when it is installed here. */
  decode(bytes: Uint8Array): { content: PackContent; digest: string; baseChecked: boolean } {
    const { digest } = readEnvelope(bytes);
    const trust = this.trust();
    const content = decodePack(bytes, { trustedKeys: trust.keys, requireSignature: trust.requireSignature });
    const base = this.baseShapes(content.base.fingerprint, content.base.id);
    if (base) checkAgainstBase(content, base);
    return { content, digest, baseChecked: base !== undefined };
  }

  /** The tensor names of the pack's base when it is installed here (else none). */
  baseNames(base: PackContent['base']): string[] {
    return [...(this.baseShapes(base.fingerprint, base.id)?.shapes.keys() ?? [])];
  }

  /** The installed base with this fingerprint; a base with the pack's id but other weights is a mismatch. */
  private baseShapes(fingerprint: string, id: string): PackBaseShapes | undefined {
    let sameId: string | undefined;
    for (const baseId of listBaseIds(this.home)) {
      const m = readBaseManifest(this.home, baseId);
      if (m.fingerprint === fingerprint) return { fingerprint, shapes: new Map(m.tensors.map((t) => [t.name, t.dims])) };
      if (baseId === id) sameId = m.fingerprint;
    }
    if (sameId) throw new PackError('BASE_MISMATCH', `made for base '${id}' (${fingerprint.slice(0, 12)}…), but the installed '${id}' has other weights (${sameId.slice(0, 12)}…)`);
    return undefined;
  }

  /** Validate and install; installing an installed pack again changes nothing. */
  install(bytes: Uint8Array, now: Date = new Date()): { entry: PackEntry; alreadyInstalled: boolean } {
    if (bytes.length > LIMITS.packBytes) throw new PackError('TOO_LARGE', `${bytes.length} bytes (a pack is at most ${LIMITS.packBytes})`);
    const { content, digest, baseChecked } = this.decode(bytes);
    const id = digest.slice(0, ID_LENGTH);
    return this.change(() => {
      const packs = this.list();
      this.sweep(packs);
      const existing = packs.find((p) => p.id === id);
      if (existing) {
        if (existing.digest !== digest) throw new PackStoreError(`pack id ${id} is taken by a different pack (digest collision on 64 bits)`);
        return { entry: existing, alreadyInstalled: true };
      }
      const entry: PackEntry = {
        id, digest, bytes: bytes.length, base: content.base, baseChecked,
        task: { name: content.task.name, type: content.task.type, labels: content.task.labels, inputColumns: content.task.inputColumns },
        method: content.provenance.method, devMetrics: content.provenance.devMetrics,
        nnz: content.diffs.reduce((n, d) => n + d.indices.length, 0),
        denseBytes: content.dense.reduce((n, t) => n + 4 * t.data.length, 0),
        ...(content.module ? { module: content.module } : {}),
        signer: content.signature ? Buffer.from(content.signature.publicKey).toString('base64') : null,
        installedAt: now.toISOString(),
      };
      writeFileAtomic(this.fileOf(id), bytes);
      this.writeIndex([...packs, entry]);
      return { entry, alreadyInstalled: false };
    });
  }

  uninstall(idOrPrefix: string): PackEntry {
    this.find(idOrPrefix); // an unknown id is refused before the store is locked (or created)
    return this.change(() => {
      const entry = this.find(idOrPrefix);
      const rest = this.list().filter((p) => p.id !== entry.id);
      this.writeIndex(rest);
      rmSync(this.fileOf(entry.id), { force: true });
      this.sweep(rest);
      return entry;
    });
  }

  /** Read, change and write the index holding the store's lock (waits for another process's change). */
  private change<T>(fn: () => T): T {
    return withLock(join(this.dir, '.lock'), `the pack store ${this.dir}`, fn);
  }

  /** The installed bytes, re-verified (digest and strict decode). */
  read(idOrPrefix: string): { entry: PackEntry; bytes: Uint8Array; content: PackContent } {
    const entry = this.find(idOrPrefix);
    const path = this.fileOf(entry.id);
    if (!existsSync(path)) throw new PackStoreError(`pack ${entry.id} is in the index but its file is missing`);
    const bytes = new Uint8Array(readFileSync(path));
    const { content, digest } = this.decode(bytes);
    if (digest !== entry.digest) throw new PackStoreError(`pack ${entry.id}: the file's digest differs from the index's`);
    return { entry, bytes, content };
  }

  /** Copy an installed pack out, atomically. */
  export(idOrPrefix: string, out: string): PackEntry {
    const { entry, bytes } = this.read(idOrPrefix);
    writeFileAtomic(out, bytes);
    return entry;
  }

  /** Every indexed pack present and intact; stray files reported (they are harmless). */
  verify(): { ok: boolean; packs: { id: string; ok: boolean; error?: string }[]; stray: string[] } {
    const packs = this.list().map(({ id }) => {
      try {
        this.read(id);
        return { id, ok: true };
      } catch (e) {
        return { id, ok: false, error: (e as Error).message };
      }
    });
    return { ok: packs.every((p) => p.ok), packs, stray: this.strayFiles(this.list()) };
  }

  private strayFiles(packs: readonly PackEntry[]): string[] {
    if (!existsSync(this.dir)) return [];
    const keep = new Set([...packs.map((p) => `${p.id}${PACK_EXTENSION}`), 'index.json', TRUST_FILE]);
    return readdirSync(this.dir).filter((n) => !keep.has(n) && (n.startsWith(TEMP_PREFIX) || n.endsWith(PACK_EXTENSION)));
  }

  /**
   * Remove what crashed changes left behind, holding the lock: unindexed pack files (only a
   * change, under the lock, writes one), and temp files of dead writers or too old to be in
   * flight (a write under another lock, or from an older version, is never cut short).
   */
  private sweep(packs: readonly PackEntry[]): void {
    for (const n of this.strayFiles(packs)) {
      if (!n.startsWith(TEMP_PREFIX) || isAbandonedTemp(this.dir, n)) rmSync(join(this.dir, n), { recursive: true, force: true });
    }
  }

  private writeIndex(packs: PackEntry[]): void {
    writeFileAtomic(this.indexPath, `${JSON.stringify({ format: INDEX_FORMAT, packs }, null, 1)}\n`);
  }
}
