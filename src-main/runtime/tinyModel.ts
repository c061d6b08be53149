/**
 * Hand-encoded one-node ONNX models that runtime/ needs for itself: the Identity
 * read-back session (GPU buffer → CPU) and the provider probe. Kept here, not taken from
 * onnx/writer.ts, so the runtime depends on nothing above it; only what a one-node
 * model needs of the protobuf wire format is written (no initializers, no attributes).
 */
import type { HostDType } from './tensor.js';

/** ONNX TensorProto.DataType codes. */
const ONNX_DTYPE: Record<HostDType, number> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

class Writer {
  private bytes: number[] = [];

  varint(v: number): this {
    let x = BigInt(v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (x > 0n);
    return this;
  }

  /** Varint field (wire type 0). */
  int(field: number, v: number): this {
    return this.varint((field << 3) | 0).varint(v);
  }

  /** Length-delimited field (wire type 2). */
  bytesField(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  str(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }

  msg(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export interface TinyIO {
  name: string;
  dtype: HostDType;
  /** Fixed sizes or symbolic names; omitted = unknown rank. */
  shape?: (number | string)[];
}

function valueInfo(w: Writer, io: TinyIO): void {
  w.str(1, io.name);
  w.msg(2, (type) =>
    type.msg(1, (tensor) => {
      tensor.int(1, ONNX_DTYPE[io.dtype]);
      if (io.shape) {
        const shape = io.shape;
        tensor.msg(2, (s) => {
          for (const d of shape) {
            s.msg(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.str(2, d)));
          }
        });
      }
    }),
  );
}

/** A model of one default-domain node (no attributes), opset 17, IR version 8. */
export function oneNodeModel(opType: string, inputs: TinyIO[], outputs: TinyIO[]): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.str(2, 'taskpack-runtime');
  w.msg(7, (g) => {
    g.msg(1, (n) => {
      for (const i of inputs) n.str(1, i.name);
      for (const o of outputs) n.str(2, o.name);
      n.str(3, `${opType}_0`);
      n.str(4, opType);
    });
    g.str(2, `tiny_${opType}`);
    for (const i of inputs) g.msg(11, (v) => valueInfo(v, i));
    for (const o of outputs) g.msg(12, (v) => valueInfo(v, o));
  });
  w.msg(8, (op) => op.str(1, '').int(2, 17));
  return w.finish();
}

/** Identity over a tensor of any shape: the GPU → CPU read-back model. */
export function identityModel(dtype: HostDType): Uint8Array {
  return oneNodeModel('Identity', [{ name: 'x', dtype }], [{ name: 'y', dtype }]);
}

/** y = x + x over float32[n]: the provider probe. */
export function probeModel(): Uint8Array {
  return oneNodeModel(
    'Add',
    [
      { name: 'a', dtype: 'float32', shape: ['n'] },
      { name: 'b', dtype: 'float32', shape: ['n'] },
    ],
    [{ name: 'y', dtype: 'float32', shape: ['n'] }],
  );
}
