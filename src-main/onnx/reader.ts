/**
 * Parses ModelProto bytes back into an OnnxGraph: for round-trip tests, dumps and tools.
 * The result is canonical: optional fields (`attributes`, `domain`, `valueInfo`,
 * `docString`) are present only when non-empty, tensor data is copied into fresh aligned
 * typed arrays, and float attributes carry their stored float32 value.
 */
import type { AttrValue, Initializer, OnnxDim, OnnxGraph, OnnxNode, ValueInfo } from './ir.js';
import { DTYPES, dtypeFromCode, elementCount, tensorFromLittleEndian } from './dtypes.js';
import type { ExternalDataFile } from './external-data.js';
import {
  AttributeType,
  DataLocation,
  ModelProto,
  type AttributeMsg,
  type Int64,
  type ModelMsg,
  type NodeMsg,
  type TensorMsg,
  type ValueInfoMsg,
} from './proto.js';

const has = (msg: object, field: string): boolean => Object.prototype.hasOwnProperty.call(msg, field);

export function decodeModel(bytes: Uint8Array, externalData: readonly ExternalDataFile[] = []): OnnxGraph {
  const model = ModelProto.decode(bytes) as unknown as ModelMsg;
  const graph = model.graph;
  if (!graph) throw new Error('ModelProto has no graph');
  const out: OnnxGraph = {
    name: graph.name ?? '',
    inputs: (graph.input ?? []).map(valueInfoFromMsg),
    outputs: (graph.output ?? []).map(valueInfoFromMsg),
    nodes: (graph.node ?? []).map(nodeFromMsg),
    initializers: (graph.initializer ?? []).map((t) => tensorFromMsg(t, externalData)),
  };
  if (graph.value_info?.length) out.valueInfo = graph.value_info.map(valueInfoFromMsg);
  if (graph.doc_string) out.docString = graph.doc_string;
  return out;
}

/** int64 fields decode to Long; the IR holds numbers, so refuse what a number cannot hold exactly. */
export function int64ToNumber(value: Int64 | undefined, where: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const n = Number(value.toString());
  if (!Number.isSafeInteger(n)) throw new Error(`${where}: int64 ${value.toString()} is outside the safe integer range`);
  return n;
}

function valueInfoFromMsg(msg: ValueInfoMsg): ValueInfo {
  const name = msg.name ?? '';
  const tensor = msg.type?.tensor_type;
  if (!tensor) throw new Error(`value '${name}': only tensor types are supported`);
  if (!tensor.shape) throw new Error(`value '${name}': unknown rank cannot be represented`);
  const shape: OnnxDim[] = (tensor.shape.dim ?? []).map((d, axis) => {
    if (has(d, 'dim_value')) return int64ToNumber(d.dim_value, `value '${name}' axis ${axis}`);
    if (has(d, 'dim_param')) return d.dim_param!;
    throw new Error(`value '${name}': axis ${axis} has neither dim_value nor dim_param`);
  });
  return { name, dtype: dtypeFromCode(tensor.elem_type ?? 0), shape };
}

function nodeFromMsg(msg: NodeMsg): OnnxNode {
  const node: OnnxNode = {
    opType: msg.op_type ?? '',
    inputs: [...(msg.input ?? [])],
    outputs: [...(msg.output ?? [])],
    name: msg.name ?? '',
  };
  if (msg.attribute?.length) {
    node.attributes = {};
    for (const a of msg.attribute) node.attributes[a.name ?? ''] = attrFromMsg(a, `node '${node.name}'`);
  }
  if (msg.domain) node.domain = msg.domain;
  return node;
}

function attrFromMsg(msg: AttributeMsg, where: string): AttrValue {
  const at = `${where} attribute '${msg.name}'`;
  switch (msg.type) {
    case AttributeType.INT:
      return { kind: 'int', value: int64ToNumber(msg.i, at) };
    case AttributeType.FLOAT:
      return { kind: 'float', value: msg.f ?? 0 };
    case AttributeType.STRING:
      return { kind: 'string', value: new TextDecoder().decode(msg.s ?? new Uint8Array()) };
    case AttributeType.INTS:
      return { kind: 'ints', value: (msg.ints ?? []).map((v) => int64ToNumber(v, at)) };
    case AttributeType.FLOATS:
      return { kind: 'floats', value: [...(msg.floats ?? [])] };
    case AttributeType.TENSOR:
      if (!msg.t) throw new Error(`${at}: TENSOR attribute without a tensor`);
      return { kind: 'tensor', value: tensorFromMsg(msg.t, []) };
    default:
      throw new Error(`${at}: unsupported attribute type ${msg.type}`);
  }
}

function tensorFromMsg(msg: TensorMsg, externalData: readonly ExternalDataFile[]): Initializer {
  const name = msg.name ?? '';
  const dtype = dtypeFromCode(msg.data_type ?? 0);
  const dims = (msg.dims ?? []).map((d) => int64ToNumber(d, `tensor '${name}' dims`));
  const count = elementCount(dims);
  const bytes = tensorBytesFromMsg(msg, name, count * DTYPES[dtype].bytesPerElement, externalData);
  const data = bytes ? tensorFromLittleEndian(dtype, bytes, count) : tensorFromTypedFields(msg, dtype, count);
  return { name, dtype, dims, data };
}

/** The raw little-endian bytes (inline or external), or undefined when typed *_data fields hold the values. */
function tensorBytesFromMsg(
  msg: TensorMsg,
  name: string,
  byteLength: number,
  externalData: readonly ExternalDataFile[],
): Uint8Array | undefined {
  if (msg.data_location !== DataLocation.EXTERNAL) return has(msg, 'raw_data') ? msg.raw_data : undefined;
  const entries = new Map((msg.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  const file = externalData.find((f) => f.path === location);
  if (!file) throw new Error(`tensor '${name}': external data '${location}' was not provided`);
  const offset = Number(entries.get('offset') ?? 0);
  const length = Number(entries.get('length') ?? byteLength);
  if (length !== byteLength || !(offset >= 0) || offset + length > file.data.length) {
    throw new Error(`tensor '${name}': external range ${offset}+${length} does not fit '${location}' (${file.data.length} bytes, need ${byteLength})`);
  }
  return file.data.subarray(offset, offset + length);
}

/** Foreign models may store values in the typed repeated fields instead of raw_data. */
function tensorFromTypedFields(msg: TensorMsg, dtype: Initializer['dtype'], count: number): Initializer['data'] {
  const info = DTYPES[dtype];
  const source: ArrayLike<number | Int64> =
    dtype === 'float32' ? msg.float_data ?? []
    : dtype === 'float64' ? msg.double_data ?? []
    : dtype === 'int64' ? msg.int64_data ?? []
    : msg.int32_data ?? [];
  if (source.length !== count) throw new Error(`tensor '${msg.name}': ${count} elements expected, ${source.length} stored`);
  const data = new info.array(count);
  for (let i = 0; i < count; i++) {
    const v = source[i];
    if (dtype === 'int64') (data as BigInt64Array)[i] = BigInt(typeof v === 'number' ? v : v.toString());
    else (data as Exclude<Initializer['data'], BigInt64Array>)[i] = Number(typeof v === 'number' ? v : v.toString());
  }
  return data;
}
