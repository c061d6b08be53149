/**
 * Serialises an OnnxGraph into ModelProto bytes.
 *
 * Deterministic by construction: no timestamps, a fixed producer version, attributes sorted
 * by name, opset imports sorted by domain, everything else in the order given. Tensor
 * values always go into raw_data (little-endian); with `externalDataPath`, initializers of
 * at least `externalThresholdBytes` move into one external blob instead, so models whose
 * weights pass protobuf's 2 GB limit still load (ORT session option `externalData`).
 */
import type { ExternalDataFile } from './external-data.js';
import type { AttrValue, Initializer, OnnxGraph, OnnxNode, ValueInfo } from './ir.js';
import { checkInitializer, dtypeCode, littleEndianBytes } from './dtypes.js';
import { EXTRA_DOMAIN_OPSETS, IR_VERSION, OPSET, PRODUCER_NAME, PRODUCER_VERSION } from './opset.js';
import {
  AttributeType,
  DataLocation,
  ModelProto,
  type AttributeMsg,
  type GraphMsg,
  type ModelMsg,
  type NodeMsg,
  type OperatorSetIdMsg,
  type TensorMsg,
  type ValueInfoMsg,
} from './proto.js';

/**
 * Initializers of at least this many bytes go external when an external path is given.
 * 1 KiB, as onnx.save_model's default: small tensors (shapes, axes, scalars) stay inline
 * where ORT's graph optimisers read them anyway; every weight matrix moves out.
 */
export const DEFAULT_EXTERNAL_THRESHOLD_BYTES = 1024;

/** Offsets of tensors in the external blob are multiples of this (SIMD-friendly loads). */
export const EXTERNAL_DATA_ALIGNMENT = 64;

export interface EncodeOptions {
  /** Location written into each external tensor; pass the same string as ORT's `externalData[].path`. */
  externalDataPath?: string;
  externalThresholdBytes?: number;
}

export interface EncodedModel {
  bytes: Uint8Array;
  /**
   * Zero or one blob; empty when no path was given or no initializer reached the threshold.
   * ORT copies it while creating the session, so it may be dropped afterwards.
   */
  externalData: ExternalDataFile[];
}

export function encodeModel(graph: OnnxGraph, opts: EncodeOptions = {}): EncodedModel {
  const threshold = opts.externalThresholdBytes ?? DEFAULT_EXTERNAL_THRESHOLD_BYTES;
  if (!(threshold >= 0)) throw new Error(`externalThresholdBytes must be >= 0, got ${threshold}`);
  if (opts.externalDataPath !== undefined) checkExternalPath(opts.externalDataPath);

  const seen = new Set<string>();
  const sizes = graph.initializers.map((init, i) => {
    const where = `initializer #${i} '${init.name}'`;
    if (!init.name) throw new Error(`${where}: initializers need a name`);
    if (seen.has(init.name)) throw new Error(`${where}: duplicate initializer name`);
    seen.add(init.name);
    return checkInitializer(init, where);
  });

  const external = opts.externalDataPath === undefined ? [] : sizes.map((size) => size >= threshold && size > 0);
  const blob = external.some(Boolean) ? layoutExternalBlob(graph.initializers, external, sizes) : undefined;

  const graphMsg: GraphMsg = {
    name: graph.name,
    node: graph.nodes.map(nodeMsg),
    initializer: graph.initializers.map((init, i) =>
      blob && external[i] ? externalTensorMsg(init, opts.externalDataPath!, blob.offsets[i], sizes[i]) : tensorMsg(init),
    ),
    input: graph.inputs.map(valueInfoMsg),
    output: graph.outputs.map(valueInfoMsg),
    value_info: (graph.valueInfo ?? []).map(valueInfoMsg),
  };
  if (graph.docString) graphMsg.doc_string = graph.docString;

  const model: ModelMsg = {
    ir_version: IR_VERSION,
    producer_name: PRODUCER_NAME,
    producer_version: PRODUCER_VERSION,
    graph: graphMsg,
    opset_import: opsetImports(graph.nodes),
  };
  const bytes = ownedBytes(ModelProto.encode(model).finish());
  return {
    bytes,
    externalData: blob ? [{ path: opts.externalDataPath!, data: blob.data }] : [],
  };
}

/**
 * Node's small Buffers are slices of a shared pool: transferring such a `.buffer` to a worker
 * would ship (and detach) unrelated memory. Hand out bytes that own their whole ArrayBuffer.
 */
function ownedBytes(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength);
  }
  return new Uint8Array(buf); // copies
}

/**
 * ORT 1.30 normalises the `externalData[].path` it is given but not the `location` in the
 * model: a location like './w.bin' is never found. So only plain relative paths pass.
 */
function checkExternalPath(path: string): void {
  const segments = path.split('/');
  const plain = segments.every((s) => s !== '' && s !== '.' && s !== '..' && !/[\\:]/.test(s));
  if (!plain) {
    throw new Error(`externalDataPath must be a normalised relative path ('weights.bin', 'dir/weights.bin'), got '${path}'`);
  }
}

function layoutExternalBlob(inits: Initializer[], external: boolean[], sizes: number[]) {
  const offsets: number[] = [];
  let end = 0;
  inits.forEach((_, i) => {
    if (!external[i]) return;
    const offset = Math.ceil(end / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
    offsets[i] = offset;
    end = offset + sizes[i];
  });
  const data = new Uint8Array(end); // padding stays zero: deterministic blob bytes
  inits.forEach((init, i) => {
    if (external[i]) data.set(littleEndianBytes(init.data), offsets[i]);
  });
  return { offsets, data };
}

function tensorMsg(init: Initializer): TensorMsg {
  return {
    name: init.name,
    dims: init.dims,
    data_type: dtypeCode(init.dtype),
    raw_data: littleEndianBytes(init.data),
  };
}

function externalTensorMsg(init: Initializer, location: string, offset: number, length: number): TensorMsg {
  return {
    name: init.name,
    dims: init.dims,
    data_type: dtypeCode(init.dtype),
    external_data: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
    data_location: DataLocation.EXTERNAL,
  };
}

function valueInfoMsg(info: ValueInfo): ValueInfoMsg {
  const dim = info.shape.map((d, axis) => {
    if (typeof d === 'string') {
      if (!d) throw new Error(`value '${info.name}': symbolic dim ${axis} has an empty name`);
      return { dim_param: d };
    }
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`value '${info.name}': bad dim ${d} at axis ${axis}`);
    return { dim_value: d };
  });
  // An empty dim list is a scalar; ONNX reads a missing shape as "rank unknown".
  return { name: info.name, type: { tensor_type: { elem_type: dtypeCode(info.dtype), shape: { dim } } } };
}

function nodeMsg(node: OnnxNode, index: number): NodeMsg {
  if (!node.opType) throw new Error(`node #${index} '${node.name}': empty opType`);
  const names = Object.keys(node.attributes ?? {}).sort();
  const msg: NodeMsg = {
    input: node.inputs,
    output: node.outputs,
    name: node.name,
    op_type: node.opType,
    attribute: names.map((name) => attributeMsg(name, node.attributes![name], `node '${node.name}' (${node.opType})`)),
  };
  if (node.domain) msg.domain = node.domain;
  return msg;
}

function checkInt(value: number, where: string): number {
  // Beyond 2^53 a JS number no longer names one int64 (and 2^63 would wrap to -2^63).
  if (!Number.isSafeInteger(value)) throw new Error(`${where}: int attribute value ${value} is not a safe integer`);
  return value;
}

function attributeMsg(name: string, attr: AttrValue, where: string): AttributeMsg {
  const at = `${where} attribute '${name}'`;
  switch (attr.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: checkInt(attr.value, at) };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: attr.value };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(attr.value) };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: attr.value.map((v) => checkInt(v, at)) };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: attr.value };
    case 'tensor':
      checkInitializer(attr.value, at);
      return { name, type: AttributeType.TENSOR, t: tensorMsg(attr.value) };
    default:
      throw new Error(`${at}: unknown attribute kind '${(attr as { kind: unknown }).kind}'`);
  }
}

/** The default domain at OPSET, plus each other domain the nodes use, sorted by domain. */
function opsetImports(nodes: OnnxNode[]): OperatorSetIdMsg[] {
  const domains = new Set(nodes.map((n) => n.domain ?? '').filter((d) => d !== '' && d !== 'ai.onnx'));
  const extra = [...domains].sort().map((domain) => {
    const version = EXTRA_DOMAIN_OPSETS[domain];
    if (version === undefined) throw new Error(`operator domain '${domain}' has no pinned opset (see onnx/opset.ts)`);
    return { domain, version };
  });
  return [{ domain: '', version: OPSET }, ...extra];
}
