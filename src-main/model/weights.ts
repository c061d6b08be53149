/**
 * A base model's weights as plain named float32 tensors, and the fingerprint task packs
 * bind to. The fingerprint covers names, shapes and bytes, so a pack made for one base
 * can never be applied to another that merely shares tensor names.
 */
import { createHash } from 'node:crypto';

export interface WeightTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** Tensor name → tensor. Names are the canonical parameter names of the model graph. */
export type Weights = ReadonlyMap<string, WeightTensor>;

const numel = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * SHA-256 (hex) over the tensors in code-point order of their names; per tensor: the
 * UTF-8 name, a NUL, the dims as decimal joined by 'x' (empty for a scalar), a NUL, then
 * the float32 values little-endian.
 */
export function weightsFingerprint(weights: Weights): string {
  const hash = createHash('sha256');
  const names = [...weights.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (const name of names) {
    const t = weights.get(name)!;
    if (t.data.length !== numel(t.dims)) throw new Error(`weight ${name}: ${t.data.length} values for shape [${t.dims.join(', ')}]`);
    hash.update(`${name}\0${t.dims.join('x')}\0`);
    if (littleEndian) hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    else {
      const view = new DataView(new ArrayBuffer(t.data.byteLength));
      t.data.forEach((v, i) => view.setFloat32(4 * i, v, true));
      hash.update(new Uint8Array(view.buffer));
    }
  }
  return hash.digest('hex');
}
