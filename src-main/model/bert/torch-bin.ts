/**
 * pytorch_model.bin, read without running any of it: the zip container PyTorch ≥ 1.6
 * writes (`<archive>/data.pkl` + one `<archive>/data/<key>` file per storage), a
 * restricted unpickler that knows only the globals a state_dict uses, and the storages
 * sliced by each tensor's offset, size and stride.
 */
import { unzipSync } from 'fflate';
import { BertImportError, UnsafePickleError } from './errors.js';
import { PickleCallable, unpickle } from './pickle.js';
import { DTYPE_BYTES, numelOf, type RawTensor } from './raw-tensor.js';

/** torch.<X>Storage → safetensors dtype tag. */
const STORAGE_DTYPES: Readonly<Record<string, string>> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

class StorageType { constructor(readonly dtype: string) {} }
class StorageRef { constructor(readonly key: string, readonly dtype: string, readonly numel: number) {} }
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

function rebuildTensor(file: string, fn: string, args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef) || !isInt(offset) || !isIntArray(size) || !isIntArray(stride) || size.length !== stride.length) {
    throw new BertImportError(`${file}: ${fn} called with arguments that do not describe a tensor`);
  }
  return new TensorRef(storage, offset, size, stride);
}

/** The only globals a state_dict pickle may reference. */
function allowedGlobal(file: string, module: string, name: string): unknown {
  const qual = `${module}.${name}`;
  if (module === 'collections' && name === 'OrderedDict') {
    return new PickleCallable(qual, (args) => {
      if (args.length !== 0) throw new BertImportError(`${file}: OrderedDict with constructor arguments is not a state_dict`);
      return new Map();
    });
  }
  if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor')) {
    return new PickleCallable(qual, (args) => rebuildTensor(file, qual, args));
  }
  if (module === 'torch._utils' && (name === '_rebuild_parameter' || name === '_rebuild_parameter_with_state')) {
    return new PickleCallable(qual, (args) => {
      if (!(args[0] instanceof TensorRef)) throw new BertImportError(`${file}: ${qual} of something that is not a tensor`);
      return args[0];
    });
  }
  if (module === 'torch' && name in STORAGE_DTYPES) return new StorageType(STORAGE_DTYPES[name]);
  return undefined;
}

/**
 * A view must read each element of its storage at most once and stay inside it: then it is
 * never larger than the storage, whose bytes the archive holds, so what materialising it
 * allocates is bounded by the file. A stride-0 (broadcast) view would repeat one element.
 */
function checkView(file: string, name: string, t: TensorRef): void {
  const n = numelOf(t.size);
  if (n === 0) return;
  const broadcast = t.size.findIndex((d, i) => d > 1 && t.stride[i] === 0);
  if (broadcast >= 0) throw new BertImportError(`${file}: tensor ${name} repeats its storage along dimension ${broadcast} (stride 0); save the checkpoint from contiguous tensors`);
  const last = t.offset + t.size.reduce((acc, d, i) => acc + (d - 1) * t.stride[i], 0);
  if (last >= t.storage.numel) throw new BertImportError(`${file}: tensor ${name} reaches element ${last} of a ${t.storage.numel}-element storage`);
  if (n > t.storage.numel) throw new BertImportError(`${file}: tensor ${name} has ${n} elements, more than its ${t.storage.numel}-element storage (overlapping strides)`);
}

/** Contiguous bytes of a (checked) strided view into its storage. */
function materialise(t: TensorRef, storage: Uint8Array): Uint8Array {
  const el = DTYPE_BYTES[t.storage.dtype];
  const n = numelOf(t.size);
  const out = new Uint8Array(n * el);
  const rank = t.size.length;
  const idx = new Array<number>(rank).fill(0);
  let src = t.offset;
  for (let i = 0; i < n; i++) {
    out.set(storage.subarray(src * el, (src + 1) * el), i * el);
    for (let a = rank - 1; a >= 0; a--) { // odometer over the view's index
      if (++idx[a] < t.size[a]) { src += t.stride[a]; break; }
      src -= (t.size[a] - 1) * t.stride[a];
      idx[a] = 0;
    }
  }
  return out;
}

/** The tensor with its bytes copied out on first use: after its shape is checked against config.json. */
function lazyTensor(t: TensorRef, storage: Uint8Array): RawTensor {
  let bytes: Uint8Array | undefined;
  return { dtype: t.storage.dtype, dims: t.size, get bytes() { return (bytes ??= materialise(t, storage)); } };
}

export function readTorchBin(bytes: Uint8Array, file = 'pytorch_model.bin'): Map<string, RawTensor> {
  const fail = (why: string): never => { throw new BertImportError(`${file}: ${why}`); };
  if (bytes.byteLength >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
    fail('legacy (pre-1.6, non-zip) PyTorch serialisation is not supported: re-save it with torch.save in a current PyTorch, or convert it to model.safetensors');
  }
  if (bytes.byteLength < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 0x03 || bytes[3] !== 0x04) fail('not a zip archive (truncated or not a PyTorch checkpoint)');
  // Bound what inflating may allocate: PyTorch stores entries uncompressed.
  let declared = 0;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        declared += f.originalSize;
        if (declared > 2 * bytes.byteLength + (1 << 20)) throw new BertImportError(`${file}: zip entries declare ${declared} bytes, far more than the archive holds`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof BertImportError) throw e;
    return fail(`unreadable zip archive (${(e as Error).message}); truncated?`);
  }
  const pkls = Object.keys(entries).filter((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (pkls.length !== 1) fail(`expected one <archive>/data.pkl, found ${pkls.length}`);
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  const order = entries[`${prefix}byteorder`];
  if (order && new TextDecoder().decode(order) !== 'little') fail('big-endian checkpoints are not supported');

  const storages = new Map<string, StorageRef>();
  const root = unpickle(entries[pkls[0]], {
    findGlobal: (module, name) => allowedGlobal(file, module, name),
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage' || !(pid[1] instanceof StorageType) || typeof pid[2] !== 'string' || !isInt(pid[4])) {
        throw new UnsafePickleError(`${file}: unsafe pickle: persistent id ${JSON.stringify(Array.isArray(pid) ? pid[0] : pid)} is not a tensor storage`);
      }
      const [, type, key, , numel] = pid as [string, StorageType, string, string, number];
      const seen = storages.get(key);
      if (seen && (seen.dtype !== type.dtype || seen.numel !== numel)) fail(`storage ${key} is declared twice with different types`);
      const ref = seen ?? new StorageRef(key, type.dtype, numel);
      storages.set(key, ref);
      return ref;
    },
    build: (obj) => {
      // OrderedDict state is the state_dict's `_metadata` attribute (module versions): ignored.
      if (!(obj instanceof Map)) throw new UnsafePickleError(`${file}: unsafe pickle: BUILD on something other than an OrderedDict`);
    },
  }, `${file}:data.pkl`);

  if (!(root instanceof Map)) fail('expected a state_dict (a mapping of names to tensors) at the top level');
  const out = new Map<string, RawTensor>();
  for (const [name, value] of root as Map<unknown, unknown>) {
    if (typeof name !== 'string') fail('state_dict keys must be strings');
    if (!(value instanceof TensorRef)) fail(`state_dict entry ${String(name)} is not a tensor`);
    const t = value as TensorRef;
    const blob = entries[`${prefix}data/${t.storage.key}`];
    if (!blob) fail(`storage file data/${t.storage.key} for tensor ${name} is missing`);
    const want = t.storage.numel * DTYPE_BYTES[t.storage.dtype];
    if (blob.byteLength !== want) fail(`storage data/${t.storage.key} holds ${blob.byteLength} bytes, ${t.storage.numel} × ${t.storage.dtype} needs ${want}`);
    checkView(file, name as string, t);
    out.set(name as string, lazyTensor(t, blob));
  }
  return out;
}
