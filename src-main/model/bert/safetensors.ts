/**
 * A strict reader for the safetensors format: an 8-byte little-endian header length, a
 * JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}, then the
 * data. As the format's own validator does, the tensors must tile the data region
 * exactly (no overlaps, no holes, nothing past the end).
 */
import { BertImportError } from './errors.js';
import { DTYPE_BYTES, numelOf, type RawTensor } from './raw-tensor.js';

/** The reference implementation's header limit. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function readSafetensors(bytes: Uint8Array, file = 'model.safetensors'): Map<string, RawTensor> {
  const fail = (why: string): never => { throw new BertImportError(`${file}: ${why}`); };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes: too short for a safetensors file (truncated?)`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(MAX_SAFETENSORS_HEADER)) fail(`header length ${headerLen} exceeds the ${MAX_SAFETENSORS_HEADER}-byte limit`);
  const dataStart = 8 + Number(headerLen);
  if (dataStart > bytes.byteLength) fail(`header claims ${headerLen} bytes but the file has ${bytes.byteLength - 8} after the length (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const dataLen = bytes.byteLength - dataStart;
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, RawTensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor ${name}: entry is not an object`);
    const dtype = e.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every(isCount)) fail(`tensor ${name}: shape must be an array of non-negative integers`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount)) fail(`tensor ${name}: data_offsets must be [begin, end]`);
    const dims = e.shape as number[];
    const [begin, end] = offs as number[];
    const want = numelOf(dims) * DTYPE_BYTES[dtype as string];
    if (end < begin || end - begin !== want) fail(`tensor ${name}: shape [${dims}] of ${dtype} needs ${want} bytes, data_offsets span ${end - begin}`);
    if (end > dataLen) fail(`tensor ${name}: data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data region (truncated?)`);
    spans.push({ name, begin, end });
    tensors.set(name, { dtype: dtype as string, dims, bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const s of spans) {
    if (s.begin < at) fail(`tensor ${s.name} overlaps the tensor before it`);
    if (s.begin > at) fail(`bytes ${at}..${s.begin} of the data region belong to no tensor`);
    at = s.end;
  }
  if (at !== dataLen) fail(`${dataLen - at} trailing bytes after the last tensor`);
  return tensors;
}
