/**
 * ONNX TensorProto.DataType codes of the element types the project uses: the one table that
 * the writer, the DSL's Cast and the runtime's hand-encoded models read (test/onnx/proto.test.ts
 * checks it against onnx.proto's enum). No imports: the runtime takes it without the writer.
 */
export const ONNX_DATA_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 } as const;
