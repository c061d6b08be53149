/**
 * The subset of onnx/onnx.proto (package `onnx`, proto2) that the writer emits and the
 * reader understands, loaded through protobufjs reflection. Field numbers, enum values and
 * packed options follow the official schema (checked field by field, see
 * test/onnx/proto.test.ts); names keep the schema's snake_case (`keepCase`).
 *
 * Left out on purpose: training info, functions, sparse tensors, sequence/map/optional
 * types, quantization annotations. A decoder skips their fields as unknown.
 */
import protobuf from 'protobufjs';

const ONNX_SUBSET_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0;
    FLOAT = 1;
    INT = 2;
    STRING = 3;
    TENSOR = 4;
    GRAPH = 5;
    FLOATS = 6;
    INTS = 7;
    STRINGS = 8;
    TENSORS = 9;
    GRAPHS = 10;
    SPARSE_TENSOR = 11;
    SPARSE_TENSORS = 12;
    TYPE_PROTO = 13;
    TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional string ref_attr_name = 21;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0;
    FLOAT = 1;
    UINT8 = 2;
    INT8 = 3;
    UINT16 = 4;
    INT16 = 5;
    INT32 = 6;
    INT64 = 7;
    STRING = 8;
    BOOL = 9;
    FLOAT16 = 10;
    DOUBLE = 11;
    UINT32 = 12;
    UINT64 = 13;
    COMPLEX64 = 14;
    COMPLEX128 = 15;
    BFLOAT16 = 16;
  }
  enum DataLocation {
    DEFAULT = 0;
    EXTERNAL = 1;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

/** The parsed schema root; exported so tests can check field numbers against onnx.proto. */
export const onnxRoot: protobuf.Root = protobuf.parse(ONNX_SUBSET_PROTO, { keepCase: true }).root;
onnxRoot.resolveAll(); // fail at import time, not at first encode, if the schema is wrong

export const ModelProto = onnxRoot.lookupType('onnx.ModelProto');

/** AttributeProto.AttributeType values. */
export const AttributeType = onnxRoot.lookupEnum('onnx.AttributeProto.AttributeType').values as Readonly<Record<string, number>>;
/** TensorProto.DataLocation values. */
export const DataLocation = onnxRoot.lookupEnum('onnx.TensorProto.DataLocation').values as Readonly<Record<string, number>>;

/**
 * Plain-object shapes of the messages as protobufjs encodes/decodes them (keepCase).
 * int64 fields decode to `Long` (protobufjs ships long.js) and encode from numbers.
 */
export type Int64 = number | { toNumber(): number; toString(): string };

export interface StringStringEntryMsg { key?: string; value?: string }
export interface TensorMsg {
  name?: string;
  dims?: Int64[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int64[];
  double_data?: number[];
  external_data?: StringStringEntryMsg[];
  data_location?: number;
  doc_string?: string;
}
export interface DimensionMsg { dim_value?: Int64; dim_param?: string }
export interface TypeMsg { tensor_type?: { elem_type?: number; shape?: { dim?: DimensionMsg[] } } }
export interface ValueInfoMsg { name?: string; type?: TypeMsg; doc_string?: string }
export interface AttributeMsg {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorMsg;
  floats?: number[];
  ints?: Int64[];
}
export interface NodeMsg {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeMsg[];
  doc_string?: string;
}
export interface GraphMsg {
  name?: string;
  node?: NodeMsg[];
  initializer?: TensorMsg[];
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
  value_info?: ValueInfoMsg[];
  doc_string?: string;
}
export interface OperatorSetIdMsg { domain?: string; version?: Int64 }
export interface ModelMsg {
  ir_version?: Int64;
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: GraphMsg;
  opset_import?: OperatorSetIdMsg[];
  metadata_props?: StringStringEntryMsg[];
}
