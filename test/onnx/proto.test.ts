// The schema subset must agree with the official onnx/onnx `onnx/onnx.proto` (checked against
// the file at commit 64209faab4da3d679f2d46c7f725f6f2b779279b): a wrong field number would
// still round-trip through our own decoder, so only this table catches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { ONNX_DATA_TYPE } from '../../src-main/onnx/data-type.js';
import { AttributeType, DataLocation, onnxRoot } from '../../src-main/onnx/proto.js';

/** message -> field -> [number, packed?] as in onnx.proto. */
const OFFICIAL_FIELDS: Record<string, Record<string, [number, boolean?]>> = {
  ModelProto: {
    ir_version: [1], producer_name: [2], producer_version: [3], domain: [4], model_version: [5],
    doc_string: [6], graph: [7], opset_import: [8], metadata_props: [14],
  },
  GraphProto: {
    node: [1], name: [2], initializer: [5], doc_string: [10], input: [11], output: [12], value_info: [13],
  },
  NodeProto: { input: [1], output: [2], name: [3], op_type: [4], attribute: [5], doc_string: [6], domain: [7] },
  AttributeProto: {
    name: [1], f: [2], i: [3], s: [4], t: [5], g: [6], floats: [7], ints: [8], strings: [9], tensors: [10],
    graphs: [11], doc_string: [13], type: [20], ref_attr_name: [21],
  },
  ValueInfoProto: { name: [1], type: [2], doc_string: [3] },
  TensorProto: {
    dims: [1], data_type: [2], float_data: [4, true], int32_data: [5, true], string_data: [6],
    int64_data: [7, true], name: [8], raw_data: [9], double_data: [10, true], uint64_data: [11, true],
    doc_string: [12], external_data: [13], data_location: [14],
  },
  'TensorShapeProto': { dim: [1] },
  'TensorShapeProto.Dimension': { dim_value: [1], dim_param: [2], denotation: [3] },
  TypeProto: { tensor_type: [1], denotation: [6] },
  'TypeProto.Tensor': { elem_type: [1], shape: [2] },
  OperatorSetIdProto: { domain: [1], version: [2] },
  StringStringEntryProto: { key: [1], value: [2] },
};

test('every field number matches onnx.proto, and only the official ones exist', () => {
  for (const [message, fields] of Object.entries(OFFICIAL_FIELDS)) {
    const type = onnxRoot.lookupType(`onnx.${message}`);
    assert.deepEqual(Object.keys(type.fields).sort(), Object.keys(fields).sort(), message);
    for (const [name, [id, packed = false]] of Object.entries(fields)) {
      const field = type.fields[name];
      assert.equal(field.id, id, `${message}.${name}`);
      if (field.repeated) assert.equal(field.packed, packed, `${message}.${name} packed`);
    }
  }
});

test('repeated scalar attributes stay unpacked (proto2 default), tensor data packed', () => {
  const attr = onnxRoot.lookupType('onnx.AttributeProto');
  assert.equal(attr.fields.ints.packed, false);
  assert.equal(attr.fields.floats.packed, false);
  // Wire check: ints [1, 2] unpacked is two tag-8 varints (0x40 = field 8, wire type 0).
  const bytes = attr.encode({ ints: [1, 2] }).finish();
  assert.deepEqual([...bytes], [0x40, 1, 0x40, 2]);
});

test('enum values match onnx.proto, and the type codes the project uses are its', () => {
  const DataType = onnxRoot.lookupEnum('onnx.TensorProto.DataType').values;
  const NAME = { float32: 'FLOAT', uint8: 'UINT8', int8: 'INT8', int32: 'INT32', int64: 'INT64', bool: 'BOOL', float16: 'FLOAT16', float64: 'DOUBLE' } as const;
  for (const [dtype, code] of Object.entries(ONNX_DATA_TYPE)) assert.equal(code, DataType[NAME[dtype as keyof typeof NAME]], dtype);
  assert.deepEqual(
    { ...DataType },
    {
      UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
      FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
    },
  );
  assert.deepEqual(
    { ...AttributeType },
    {
      UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
      TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
    },
  );
  assert.deepEqual({ ...DataLocation }, { DEFAULT: 0, EXTERNAL: 1 });
});

test('dim_value and dim_param share a oneof', () => {
  const dim = onnxRoot.lookupType('onnx.TensorShapeProto.Dimension');
  assert.ok(dim.oneofs.value instanceof protobuf.OneOf);
  assert.deepEqual(dim.oneofs.value.oneof, ['dim_value', 'dim_param']);
});
