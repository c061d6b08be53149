/**
 * Sorted index sets, stored compactly per tensor: as gaps in unsigned LEB128 varints or as
 * a bitmap, whichever is smaller (ties go to gaps). Gap k is i_k − i_(k−1) with i_(−1) = −1,
 * so every gap is ≥ 1 and a 0 gap means a repeated index.
 */
import { fail } from './errors.js';

export type IndexEncoding = 'gaps' | 'bitmap';

const varintBytes = (v: number) => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/** Throws unless `indices` are strictly increasing and below `numel`. */
export function checkIndices(indices: Uint32Array, numel: number, where: string): void {
  let prev = -1;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (i <= prev) fail('INDEX_NOT_INCREASING', `${where}: index #${k} (${i}) is not above the previous (${prev})`);
    if (i >= numel) fail('INDEX_OUT_OF_RANGE', `${where}: index #${k} (${i}) is outside a tensor of ${numel} values`);
    prev = i;
  }
}

export const bitmapBytes = (numel: number) => Math.ceil(numel / 8);

export function gapBytes(indices: Uint32Array): number {
  let n = 0, prev = -1;
  for (const i of indices) { n += varintBytes(i - prev); prev = i; }
  return n;
}

/** The canonical encoding for these indices (checked sorted and in range beforehand). */
export function chooseIndexEncoding(indices: Uint32Array, numel: number): IndexEncoding {
  return bitmapBytes(numel) < gapBytes(indices) ? 'bitmap' : 'gaps';
}

export function encodeIndices(indices: Uint32Array, numel: number, encoding: IndexEncoding): Uint8Array {
  if (encoding === 'bitmap') {
    const out = new Uint8Array(bitmapBytes(numel));
    for (const i of indices) out[i >>> 3] |= 1 << (i & 7);
    return out;
  }
  const out = new Uint8Array(gapBytes(indices));
  let pos = 0, prev = -1;
  for (const i of indices) {
    let v = i - prev;
    prev = i;
    while (v >= 0x80) { out[pos++] = (v & 0x7f) | 0x80; v = Math.floor(v / 128); }
    out[pos++] = v;
  }
  return out;
}

/**
 * Decode and check: exactly `nnz` indices, strictly increasing, below `numel`, in the
 * canonical encoding. Allocates nothing before the declared sizes are checked against
 * the bytes actually present.
 */
export function decodeIndices(bytes: Uint8Array, encoding: IndexEncoding, nnz: number, numel: number, where: string): Uint32Array {
  if (encoding === 'bitmap') {
    if (bytes.length !== bitmapBytes(numel)) fail('COUNT_MISMATCH', `${where}: bitmap of ${bytes.length} bytes for a tensor of ${numel} values (needs ${bitmapBytes(numel)})`);
    if (numel % 8 !== 0 && bytes.length > 0 && bytes[bytes.length - 1] >>> (numel % 8) !== 0) {
      fail('INDEX_OUT_OF_RANGE', `${where}: bitmap sets bits past the tensor's ${numel} values`);
    }
    let count = 0;
    for (const b of bytes) count += POPCOUNT[b];
    if (count !== nnz) fail('COUNT_MISMATCH', `${where}: bitmap holds ${count} indices, the pack declares ${nnz}`);
    const out = new Uint32Array(nnz);
    let k = 0;
    for (let byte = 0; byte < bytes.length; byte++) {
      for (let b = bytes[byte], bit = 0; b !== 0; b >>>= 1, bit++) if (b & 1) out[k++] = byte * 8 + bit;
    }
    if (gapBytes(out) <= bytes.length) fail('NON_CANONICAL', `${where}: a bitmap where gaps are no larger`);
    return out;
  }
  // Every varint takes at least one byte: more indices than bytes is a lie we catch before allocating.
  if (nnz > bytes.length) fail('COUNT_MISMATCH', `${where}: ${nnz} indices declared in ${bytes.length} bytes of gaps`);
  const out = new Uint32Array(nnz);
  let pos = 0, prev = -1, k = 0;
  while (pos < bytes.length) {
    let v = 0, scale = 1, len = 0, b: number;
    do {
      if (pos >= bytes.length) fail('COUNT_MISMATCH', `${where}: gap list ends inside a varint`);
      if (++len > 5) fail('NON_CANONICAL', `${where}: varint longer than 5 bytes at byte ${pos}`);
      b = bytes[pos++];
      v += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    if (len > 1 && b === 0) fail('NON_CANONICAL', `${where}: varint with a redundant zero byte at byte ${pos - 1}`);
    if (v === 0) fail('INDEX_NOT_INCREASING', `${where}: index #${k} repeats the previous (${prev})`);
    const i = prev + v;
    if (i >= numel) fail('INDEX_OUT_OF_RANGE', `${where}: index #${k} (${i}) is outside a tensor of ${numel} values`);
    if (k >= nnz) fail('COUNT_MISMATCH', `${where}: more than the declared ${nnz} indices in the gap list`);
    out[k++] = prev = i;
  }
  if (k !== nnz) fail('COUNT_MISMATCH', `${where}: gap list holds ${k} indices, the pack declares ${nnz}`);
  if (bitmapBytes(numel) < bytes.length) fail('NON_CANONICAL', `${where}: gaps where a bitmap is smaller`);
  return out;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => { let c = 0; for (; b; b &= b - 1) c++; return c; });

/** Expand indices that were validated when the pack was decoded into `out` (no checks: the hot path of a swap). */
export function expandIndices(bytes: Uint8Array, encoding: IndexEncoding, out: Uint32Array): void {
  let k = 0;
  if (encoding === 'bitmap') {
    for (let byte = 0; byte < bytes.length; byte++) {
      for (let b = bytes[byte], bit = 0; b !== 0; b >>>= 1, bit++) if (b & 1) out[k++] = byte * 8 + bit;
    }
    return;
  }
  let prev = -1;
  for (let pos = 0; pos < bytes.length;) {
    let b = bytes[pos++], v = b & 0x7f, scale = 128;
    while (b & 0x80) { b = bytes[pos++]; v += (b & 0x7f) * scale; scale *= 128; }
    out[k++] = prev += v;
  }
}
