/**
 * A restricted unpickler: it understands only the opcodes a PyTorch state_dict uses and
 * resolves globals through an allow-list supplied by the caller. Nothing in the stream
 * can name code to run: an unlisted global is refused the moment it is referenced
 * ("unsafe pickle: global os.system"), and REDUCE/BUILD only ever apply the caller's own
 * functions. Opcodes that instantiate arbitrary classes (INST, OBJ, NEWOBJ, EXT*) are
 * refused too.
 */
import { UnsafePickleError, BertImportError } from './errors.js';

/** A callable the allow-list provides; REDUCE calls it with the unpickled argument tuple. */
export class PickleCallable {
  constructor(readonly qualName: string, readonly call: (args: unknown[]) => unknown) {}
}

/** A Python tuple (kept apart from lists only where the difference matters: never here). */
export type PyValue = unknown;

export interface UnpickleHooks {
  /** Resolve `module.name` to an allowed value, or return undefined to refuse it. */
  findGlobal(module: string, name: string): unknown;
  /** Resolve a BINPERSID id (PyTorch storages). */
  persistentLoad(pid: PyValue): unknown;
  /** Apply BUILD's state to an object (e.g. an OrderedDict's _metadata); throw to refuse. */
  build(obj: unknown, state: unknown): void;
}

const MARK = Symbol('mark');

const OPCODE_NAMES: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
  0x50: 'PERSID', 0x49: 'INT', 0x4c: 'LONG', 0x53: 'STRING', 0x56: 'UNICODE', 0x46: 'FLOAT', 0x67: 'GET', 0x70: 'PUT',
};

export function unpickle(data: Uint8Array, hooks: UnpickleHooks, file = 'data.pkl'): PyValue {
  const fail = (why: string): never => { throw new BertImportError(`${file}: ${why}`); };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (n < 0 || pos + n > data.byteLength) fail(`truncated at byte ${pos} (needs ${n} more)`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => data[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is out of range`);
    return Number(v);
  };
  const str = (n: number) => {
    const at = need(n);
    try { return utf8.decode(data.subarray(at, at + n)); } catch { return fail(`invalid UTF-8 string at byte ${at}`); }
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`unterminated GLOBAL at byte ${pos}`);
    return str(end - pos + 1).slice(0, -1);
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail(`stack underflow at byte ${pos}`);
    const v = stack.pop();
    if (v === MARK) fail(`unexpected MARK at byte ${pos}`);
    return v;
  };
  const top = () => {
    if (stack.length === 0) fail(`stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = () => {
    if (marks.length === 0) fail(`no MARK to pop at byte ${pos}`);
    const at = marks.pop()!;
    return stack.splice(at);
  };
  const global = (module: string, name: string) => {
    const v = hooks.findGlobal(module, name);
    if (v === undefined) throw new UnsafePickleError(`${file}: unsafe pickle: global ${module}.${name} is not allowed (only plain tensors can be loaded)`);
    return v;
  };
  const setItems = (dict: unknown, kv: unknown[]) => {
    if (!(dict instanceof Map)) fail(`SETITEM(S) on a non-dict at byte ${pos}`);
    for (let i = 0; i + 1 < kv.length; i += 2) (dict as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail(`APPEND(S) on a non-list at byte ${pos}`);
    (list as unknown[]).push(...items);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) fail(`memo key ${i} is not set`);
    return memo.get(i);
  };

  for (;;) {
    const opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail('malformed pickle: stack not single-valued at STOP');
        return stack[0];
      }
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK (the slot is removed by popMark)
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark().slice(1)); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1: little-endian two's complement
        const n = u8();
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[at + i]);
        if (n > 0 && data[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail(`integer ${v} is out of range`);
        stack.push(Number(v));
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(str(u32())); break; // BINUNICODE
      case 0x8c: stack.push(str(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(str(u64())); break; // BINUNICODE8
      case 0x54: { const n = view.getInt32(need(4), true); stack.push(str(n)); break; } // BINSTRING
      case 0x55: stack.push(str(u8())); break; // SHORT_BINSTRING
      case 0x42: { const n = u32(); const at = need(n); stack.push(data.slice(at, at + n)); break; } // BINBYTES
      case 0x43: { const n = u8(); const at = need(n); stack.push(data.slice(at, at + n)); break; } // SHORT_BINBYTES
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (!(fn instanceof PickleCallable)) throw new UnsafePickleError(`${file}: unsafe pickle: REDUCE on something that is not an allowed callable`);
        if (!Array.isArray(args)) fail(`REDUCE of ${fn.qualName} without an argument tuple`);
        stack.push(fn.call(args as unknown[]));
        break;
      }
      case 0x62: { const state = pop(); hooks.build(top(), state); break; } // BUILD
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark().slice(1); setItems(top(), kv); break; } // SETITEMS
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark().slice(1); appendItems(top(), items); break; } // APPENDS
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default: {
        const named = OPCODE_NAMES[op];
        if (named === 'INST' || named === 'OBJ' || named === 'NEWOBJ' || named === 'NEWOBJ_EX' || named?.startsWith('EXT')) {
          throw new UnsafePickleError(`${file}: unsafe pickle: opcode ${named} (object construction) at byte ${opAt}`);
        }
        fail(`unsupported pickle opcode ${named ?? '0x' + op.toString(16).padStart(2, '0')} at byte ${opAt}`);
      }
    }
  }
}
