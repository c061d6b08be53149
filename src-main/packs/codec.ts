/**
 * encodePack / decodePack: the envelope around the msgpack body (version 1 for a diff pack, 2 for a module pack).
 *
 *   magic(8) · version u16 LE · reserved u16 (0) · body length u32 LE · body ·
 *   SHA-256(everything before it) · [Ed25519 public key(32) · signature(64) over the digest]
 *
 * decodePack is strict: it checks the envelope and digest before parsing, the body's every
 * field (schema.ts), then, given a base, that the pack binds to it.
 */
import { createHash, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { Packr, Unpackr } from 'msgpackr';
import type { TaskSpec } from '../model/base.js';
import type { Weights } from '../model/weights.js';
import { fail, PackError } from './errors.js';
import { DIGEST_BYTES, HEADER_BYTES, LIMITS, PACK_MAGIC, PACK_VERSIONS, SIGNATURE_BLOCK_BYTES, taskSpecOfPack, versionOf, type PackContent } from './format.js';
import { checkModulesAgainstBase } from './module-names.js';
import { scanBody, tokenName } from './msgpack-scan.js';
import { bodyOf, contentOf } from './schema.js';

// moreTypes keeps typed arrays intact should one ever reach the packer; records off: plain maps.
const packr = new Packr({ moreTypes: true, useRecords: false });
// Maps decode as Map (never as objects with caller-chosen keys such as '__proto__'). Extensions
// never reach it (scanBody refuses them); structuredClone off is a second guard.
const unpackr = new Unpackr({ mapsAsObjects: false, useRecords: false, moreTypes: true, structuredClone: false });

export interface EncodeOptions {
  /** Sign with this Ed25519 private key (replaces content.signature). */
  signWith?: KeyObject;
}

/** Content → pack bytes. Refuses content the decoder would refuse. */
export function encodePack(content: PackContent, opts: EncodeOptions = {}): Uint8Array {
  const body = packr.pack(bodyOf(content));
  scanBody(body); // the encoder never writes what the decoder refuses
  const version = versionOf(content.kind);
  contentOf(unpackr.unpack(body), version);
  const signed = opts.signWith !== undefined || content.signature !== undefined;
  const total = HEADER_BYTES + body.length + DIGEST_BYTES + (signed ? SIGNATURE_BLOCK_BYTES : 0);
  if (total > LIMITS.packBytes) fail('TOO_LARGE', `the pack would be ${total} bytes (at most ${LIMITS.packBytes})`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(PACK_MAGIC, 0);
  view.setUint16(8, version, true);
  view.setUint16(10, 0, true);
  view.setUint32(12, body.length, true);
  out.set(body, HEADER_BYTES);
  const digestAt = HEADER_BYTES + body.length;
  const digest = sha256(out.subarray(0, digestAt));
  out.set(digest, digestAt);
  if (signed) {
    const sig = opts.signWith ? signatureOf(digest, opts.signWith) : content.signature!;
    if (sig.publicKey.length !== 32 || sig.signature.length !== 64) fail('BAD_SIGNATURE', 'a signature needs a 32-byte key and 64 bytes');
    if (!verifyDigest(digest, sig.publicKey, sig.signature)) fail('BAD_SIGNATURE', 'content.signature does not sign this content');
    out.set(sig.publicKey, digestAt + DIGEST_BYTES);
    out.set(sig.signature, digestAt + DIGEST_BYTES + 32);
  }
  return out;
}

/** What a base offers the decoder: BaseModel and a stored base both fit. */
export interface PackBase {
  readonly fingerprint: string;
  readonly weights: Weights;
  /** The head a task needs on this base (a BaseModel has it): the pack's head must match. */
  headShapes?(task: TaskSpec): Record<string, number[]>;
}

/** A base known by its manifest only (names and shapes, no values): enough to check a pack. */
export interface PackBaseShapes {
  readonly fingerprint: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

export interface DecodeOptions {
  /** Check that the pack binds to this base: fingerprint, tensor names and shapes. */
  base?: PackBase | PackBaseShapes;
  /** Raw Ed25519 public keys (32 bytes each): a signature by another key is refused. */
  trustedKeys?: readonly Uint8Array[];
  /** Refuse unsigned packs (needs trustedKeys). */
  requireSignature?: boolean;
}

export interface PackEnvelope {
  version: number;
  /** SHA-256 over header and body, hex: the pack's identity. */
  digest: string;
  bodyBytes: number;
  totalBytes: number;
}

/** Envelope checks only (magic, version, sizes, digest, signature validity): cheap, no body parse. */
export function readEnvelope(bytes: Uint8Array): PackEnvelope & { body: Uint8Array; signature?: { publicKey: Uint8Array; signature: Uint8Array } } {
  if (bytes.length > LIMITS.packBytes) fail('TOO_LARGE', `${bytes.length} bytes (a pack is at most ${LIMITS.packBytes})`);
  if (bytes.length < HEADER_BYTES) fail('TRUNCATED', `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  for (let i = 0; i < PACK_MAGIC.length; i++) if (bytes[i] !== PACK_MAGIC[i]) fail('BAD_MAGIC', 'not a task pack (the first 8 bytes are not the task-pack magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (!(PACK_VERSIONS as readonly number[]).includes(version)) fail('UNSUPPORTED_VERSION', `format version ${version}; this app reads versions ${PACK_VERSIONS.join(' and ')}`);
  if (view.getUint16(10, true) !== 0) fail('SCHEMA', 'reserved header bytes 10–11 must be 0');
  const bodyBytes = view.getUint32(12, true);
  const digestAt = HEADER_BYTES + bodyBytes;
  const end = digestAt + DIGEST_BYTES;
  if (bytes.length < end) fail('TRUNCATED', `${bytes.length} bytes, the header declares ${end} (body ${bodyBytes} + digest)`);
  if (bytes.length !== end && bytes.length !== end + SIGNATURE_BLOCK_BYTES) {
    fail('TRAILING_BYTES', `${bytes.length - end} bytes after the digest (a signature block is ${SIGNATURE_BLOCK_BYTES})`);
  }
  const digest = sha256(bytes.subarray(0, digestAt));
  if (!equalBytes(digest, bytes.subarray(digestAt, end))) fail('INTEGRITY', 'the SHA-256 digest does not match the content (corrupted or altered)');
  const out = { version, digest: Buffer.from(digest).toString('hex'), bodyBytes, totalBytes: bytes.length, body: bytes.subarray(HEADER_BYTES, digestAt) };
  if (bytes.length === end) return out;
  const signature = { publicKey: bytes.slice(end, end + 32), signature: bytes.slice(end + 32, end + SIGNATURE_BLOCK_BYTES) };
  if (!verifyDigest(digest, signature.publicKey, signature.signature)) fail('BAD_SIGNATURE', 'the Ed25519 signature does not verify');
  return { ...out, signature };
}

/** Pack bytes → content, strictly (see the module comment). Throws PackError. */
export function decodePack(bytes: Uint8Array, opts: DecodeOptions = {}): PackContent {
  const env = readEnvelope(bytes);
  if (env.signature && opts.trustedKeys && !opts.trustedKeys.some((k) => equalBytes(k, env.signature!.publicKey))) {
    fail('UNTRUSTED_SIGNER', `signed by key ${Buffer.from(env.signature.publicKey).toString('base64')}, which is not in the trusted keys`);
  }
  if (!env.signature && opts.requireSignature) fail('UNSIGNED', 'the pack is not signed and a signature is required');
  scanBody(env.body);
  let body: unknown;
  try {
    body = unpackr.unpack(env.body);
  } catch (e) {
    fail('MALFORMED', `the body is not valid msgpack (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const content = contentOf(body, env.version);
  requireCanonical(env.body, packr.pack(bodyOf(content)));
  if (env.signature) content.signature = env.signature;
  if (opts.base) checkAgainstBase(content, opts.base);
  return content;
}

/** The pack binds to this base: same fingerprint, diffed tensors present with the same shape, heads new. */
export function checkAgainstBase(content: PackContent, base: PackBase | PackBaseShapes): void {
  const dimsOf = (name: string) => ('weights' in base ? base.weights.get(name)?.dims : base.shapes.get(name));
  if (content.base.fingerprint !== base.fingerprint) {
    fail('BASE_MISMATCH', `made for base '${content.base.id}' (${content.base.fingerprint.slice(0, 12)}…), not this base (${base.fingerprint.slice(0, 12)}…)`);
  }
  for (const d of content.diffs) {
    const dims = dimsOf(d.name);
    if (!dims) return fail('UNKNOWN_TENSOR', `diff '${d.name}': the base has no such tensor`);
    if (dims.length !== d.dims.length || dims.some((n, i) => n !== d.dims[i])) {
      fail('SHAPE_MISMATCH', `diff '${d.name}': shape [${d.dims.join(', ')}], the base's is [${dims.join(', ')}]`);
    }
  }
  if (content.module) checkModulesAgainstBase(content, 'weights' in base ? new Map([...base.weights].map(([n, t]) => [n, t.dims])) : base.shapes);
  for (const t of content.dense) if (dimsOf(t.name)) fail('HEAD_CONFLICT', `dense tensor '${t.name}' shadows a base tensor`);
  if (!('headShapes' in base) || !base.headShapes) return;
  const heads = base.headShapes(taskSpecOfPack(content));
  for (const t of content.dense) {
    const want = heads[t.name];
    if (!want || want.length !== t.dims.length || want.some((n, i) => n !== t.dims[i])) {
      fail('SHAPE_MISMATCH', `head '${t.name}': shape [${t.dims.join(', ')}], this base's head for the task is [${want?.join(', ') ?? 'none'}]`);
    }
  }
}

/**
 * One content, one encoding, so one id: the body must be the bytes encodePack writes for
 * what it decodes to (no float-encoded integers, wider headers, repeated or reordered keys).
 */
function requireCanonical(body: Uint8Array, canonical: Uint8Array): void {
  const n = Math.min(body.length, canonical.length);
  let i = 0;
  while (i < n && body[i] === canonical[i]) i++;
  if (i === n && body.length === canonical.length) return;
  const at = (b: Uint8Array) => (i < b.length ? `0x${b[i].toString(16).padStart(2, '0')} (${tokenName(b[i])})` : 'the end');
  fail('NON_CANONICAL', `the body differs from its canonical encoding at byte ${i}: ${at(body)} where the encoder writes ${at(canonical)}`);
}

export const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Raw 32-byte Ed25519 public key → KeyObject (via JWK: node has no raw import). */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new PackError('BAD_SIGNATURE', 'not an Ed25519 key');
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

function signatureOf(digest: Uint8Array, privateKey: KeyObject) {
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { publicKey, signature: new Uint8Array(edSign(null, digest, privateKey)) };
}

function verifyDigest(digest: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): boolean {
  try {
    return edVerify(null, digest, publicKeyFromRaw(publicKey), signature);
  } catch {
    return false; // not a valid curve point: a bad signature, not a crash
  }
}
