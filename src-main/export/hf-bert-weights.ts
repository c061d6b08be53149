/**
 * A BERT task as Hugging Face's BertForSequenceClassification state dict in safetensors:
 * the encoder under `bert.` with HF tensor names, linear weights back in HF's [out, in]
 * layout (the import's map, model/bert/hf-weights.ts, run backwards), and the task head
 * as `classifier.weight` / `classifier.bias`.
 */
import type { BertConfig } from '../model/bert/config.js';
import { bertParamShapes, hfSources, transpose2d } from '../model/bert/hf-weights.js';
import type { WeightTensor } from '../model/weights.js';

export interface NamedTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** HF-named float32 tensors, sorted by name; `weight(name)` gives each canonical tensor (θ + δ, head). */
export function hfBertTensors(c: BertConfig, weight: (name: string) => WeightTensor): NamedTensor[] {
  const sources = hfSources(c);
  const hf = (hfName: string, t: WeightTensor, transpose: boolean): NamedTensor => transpose
    ? { name: hfName, dims: [t.dims[1], t.dims[0]], data: transpose2d(t.data, t.dims[0], t.dims[1]) }
    : { name: hfName, dims: [...t.dims], data: t.data };
  const out = Object.keys(bertParamShapes(c)).map((canon) => {
    const [hfName, transpose] = sources.get(canon)!;
    return hf(`bert.${hfName}`, weight(canon), transpose);
  });
  out.push(hf('classifier.weight', weight('head.w'), true), hf('classifier.bias', weight('head.b'), false));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A safetensors file as chunks to write one after another (no copy of the tensors): the
 * 8-byte header length, the JSON header padded with spaces to a multiple of 8, the data.
 */
export function safetensorsChunks(tensors: readonly NamedTensor[]): Uint8Array[] {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.dims, data_offsets: [at, at + t.data.byteLength] };
    at += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  padded.set(json);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(padded.byteLength), true);
  return [length, padded, ...tensors.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))];
}
