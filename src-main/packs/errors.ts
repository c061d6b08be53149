/**
 * Every way a task pack can be refused, as a stable code. Callers (CLI, IPC, the trainer)
 * branch on `code`; the message says what and where in words a person can act on.
 */
export const PACK_ERROR_CODES = [
  'TOO_LARGE', // the file is over MAX_PACK_BYTES
  'TRUNCATED', // shorter than its header or declared body
  'BAD_MAGIC', // not a task pack
  'UNSUPPORTED_VERSION', // a format version this app does not read
  'TRAILING_BYTES', // bytes after the digest that are not a signature block
  'INTEGRITY', // the SHA-256 does not match the content
  'BAD_SIGNATURE', // a signature block that does not verify
  'UNTRUSTED_SIGNER', // a valid signature by a key not in the trusted list
  'UNSIGNED', // a signature was required and there is none
  'MALFORMED', // the body is not valid msgpack
  'SCHEMA', // a field is missing, of the wrong type, or out of its allowed set
  'LIMIT', // a declared size is over the format's bounds
  'COUNT_MISMATCH', // a declared count or size disagrees with the data
  'INDEX_OUT_OF_RANGE', // a diff index at or past the tensor's size
  'INDEX_NOT_INCREASING', // diff indices not strictly increasing
  'NON_CANONICAL', // a valid but non-canonical encoding (so re-encoding would differ)
  'NON_FINITE', // NaN or ±Infinity in values or a scale
  'DUPLICATE_TENSOR', // the same tensor named twice
  'BASE_MISMATCH', // made for another base (fingerprint)
  'UNKNOWN_TENSOR', // a diffed tensor the base does not have
  'SHAPE_MISMATCH', // a diffed tensor whose shape differs from the base's
  'HEAD_CONFLICT', // a dense tensor that is not 'head.*' or shadows a base tensor
  'CANNOT_HOST', // the base lacks what the pack's module needs (LoRA targets, adapter sites)
  'MODULE_MISMATCH', // module tensors (or a module pack's diffs) other than its spec gives on this base
] as const;

export type PackErrorCode = (typeof PACK_ERROR_CODES)[number];

export class PackError extends Error {
  override readonly name = 'PackError';
  constructor(readonly code: PackErrorCode, message: string) {
    super(`${code}: ${message}`);
  }
}

export const fail = (code: PackErrorCode, message: string): never => {
  throw new PackError(code, message);
};

/** The store itself (its index, trust file, a missing id), not a pack's content. */
export class PackStoreError extends Error {
  override readonly name = 'PackStoreError';
}
