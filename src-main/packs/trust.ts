/**
 * The pack store's trust policy, `<home>/packs/trusted-keys.json`:
 *   {requireSignature?: bool, keys: [{name, publicKey (base64 of the raw 32-byte Ed25519 key)}]}
 * Without the file any valid signature is accepted; with it, only the listed keys' (the file
 * is kept after its last key goes: removing trust never widens it). Reading, the checks on a
 * key a person pastes, and the changes `taskpack trust` and the app make (the store writes
 * them atomically under its lock).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { rawPublicKey } from './codec.js';
import { PackStoreError } from './errors.js';
import type { TrustedKey, TrustSettings } from './views.js';

export type { TrustedKey, TrustSettings };

export const TRUST_FILE = 'trusted-keys.json';
export const MAX_KEY_NAME = 100;

const trustSchema = z.object({
  requireSignature: z.boolean().optional(),
  keys: z.array(z.object({ name: z.string(), publicKey: z.string() })),
});
export type TrustFile = z.infer<typeof trustSchema>;

/** SHA-256 of the raw key, first 16 hex digits in fours: short enough to read aloud and compare. */
export function keyFingerprint(publicKey: string | Uint8Array): string {
  const raw = typeof publicKey === 'string' ? Buffer.from(publicKey, 'base64') : publicKey;
  return createHash('sha256').update(raw).digest('hex').slice(0, 16).match(/.{4}/g)!.join(':');
}

/** The file, checked (undefined when absent); every key must be a raw 32-byte key. */
export function readTrustFile(path: string): TrustFile | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PackStoreError(`${path} is not valid JSON (${(e as Error).message})`);
  }
  const parsed = trustSchema.safeParse(raw);
  if (!parsed.success) throw new PackStoreError(`${path}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
  for (const { name, publicKey } of parsed.data.keys) {
    if (Buffer.from(publicKey, 'base64').length !== 32) throw new PackStoreError(`${path}: key '${name}' is not a base64 32-byte Ed25519 public key`);
  }
  return parsed.data;
}

export function trustSettings(file: TrustFile | undefined): TrustSettings {
  return {
    listed: file !== undefined,
    requireSignature: file?.requireSignature ?? false,
    keys: (file?.keys ?? []).map(({ name, publicKey }) => ({ name, publicKey, fingerprint: keyFingerprint(publicKey) })),
  };
}

/**
 * A key as a person pastes it: base64 of the raw 32 bytes (what `pack inspect` prints as the
 * signer), or a PEM "PUBLIC KEY" block (what `openssl pkey -pubout` writes). Canonical base64 back.
 */
export function parsePublicKey(text: string): string {
  const t = text.trim();
  if (t.includes('-----BEGIN')) {
    try {
      return Buffer.from(rawPublicKey(createPublicKey(t))).toString('base64');
    } catch (e) {
      throw new PackStoreError(`not an Ed25519 public key in PEM form (${(e as Error).message})`);
    }
  }
  const raw = Buffer.from(t, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== t) {
    throw new PackStoreError('a public key is the base64 of 32 bytes (44 characters ending in "="), or a PEM "PUBLIC KEY" block');
  }
  return raw.toString('base64');
}

export function withKey(file: TrustFile | undefined, name: string, publicKeyText: string): TrustFile {
  const n = name.trim();
  if (!n || n.length > MAX_KEY_NAME) throw new PackStoreError(`a key's name is 1 to ${MAX_KEY_NAME} characters`);
  const publicKey = parsePublicKey(publicKeyText);
  const keys = file?.keys ?? [];
  const same = keys.find((k) => k.publicKey === publicKey);
  if (same) throw new PackStoreError(`that key is already trusted, as '${same.name}'`);
  if (keys.some((k) => k.name === n)) throw new PackStoreError(`a trusted key is already named '${n}'`);
  return { ...file, keys: [...keys, { name: n, publicKey }] };
}

/** Remove the key with this name or fingerprint. */
export function withoutKey(file: TrustFile | undefined, nameOrFingerprint: string): TrustFile {
  const keys = file?.keys ?? [];
  const gone = keys.find((k) => k.name === nameOrFingerprint || keyFingerprint(k.publicKey) === nameOrFingerprint);
  if (!gone) throw new PackStoreError(`no trusted key '${nameOrFingerprint}' (by name or fingerprint)`);
  return { ...file, keys: keys.filter((k) => k !== gone) };
}

export const withRequireSignature = (file: TrustFile | undefined, requireSignature: boolean): TrustFile => ({ keys: [], ...file, requireSignature });
