/**
 * A walk over a pack body's msgpack tokens before msgpackr decodes any of them. A pack is
 * plain msgpack: nil, booleans, numbers, str, bin, arrays and maps. msgpackr would also
 * decode its own extensions (structured-clone references, records, typed arrays, bundled
 * strings…), with which a small file references one large value thousands of times. Refusing
 * every extension here, with every length checked against the bytes that remain, the depth
 * and the number of containers bounded, makes decoding linear in the body's size.
 */
import { fail } from './errors.js';
import { LIMITS } from './format.js';

/** Containers nest at most this deep in a pack: body → diffs → one diff → its dims. */
const MAX_DEPTH = 4;
/** Two containers per tensor (its map and dims) and eleven others (body, base, task, labels, module…). */
const MAX_CONTAINERS = 2 * LIMITS.tensors + 11;

type Kind = 'scalar' | 'bytes' | 'array' | 'map' | 'ext' | 'unused';
/** Tokens 0xc0–0xdf: a scalar with a payload of `size` bytes, or a `size`-byte big-endian length or count. */
const TOKENS: Record<number, readonly [Kind, number, string]> = {
  0xc0: ['scalar', 0, 'nil'], 0xc1: ['unused', 0, 'the unused byte 0xc1'], 0xc2: ['scalar', 0, 'false'], 0xc3: ['scalar', 0, 'true'],
  0xc4: ['bytes', 1, 'bin8'], 0xc5: ['bytes', 2, 'bin16'], 0xc6: ['bytes', 4, 'bin32'],
  0xc7: ['ext', 1, 'ext8'], 0xc8: ['ext', 2, 'ext16'], 0xc9: ['ext', 4, 'ext32'],
  0xca: ['scalar', 4, 'float32'], 0xcb: ['scalar', 8, 'float64'],
  0xcc: ['scalar', 1, 'uint8'], 0xcd: ['scalar', 2, 'uint16'], 0xce: ['scalar', 4, 'uint32'], 0xcf: ['scalar', 8, 'uint64'],
  0xd0: ['scalar', 1, 'int8'], 0xd1: ['scalar', 2, 'int16'], 0xd2: ['scalar', 4, 'int32'], 0xd3: ['scalar', 8, 'int64'],
  0xd4: ['ext', 0, 'fixext1'], 0xd5: ['ext', 0, 'fixext2'], 0xd6: ['ext', 0, 'fixext4'], 0xd7: ['ext', 0, 'fixext8'], 0xd8: ['ext', 0, 'fixext16'],
  0xd9: ['bytes', 1, 'str8'], 0xda: ['bytes', 2, 'str16'], 0xdb: ['bytes', 4, 'str32'],
  0xdc: ['array', 2, 'array16'], 0xdd: ['array', 4, 'array32'], 0xde: ['map', 2, 'map16'], 0xdf: ['map', 4, 'map32'],
};

/** What msgpackr makes of the extension types it knows. */
const MSGPACKR_EXTENSIONS: Record<number, string> = {
  0x00: 'undefined', 0x42: 'BigInt', 0x62: 'bundled strings', 0x65: 'Error', 0x69: 'structured-clone object id', 0x70: 'structured-clone reference',
  0x72: 'record definition', 0x73: 'Set', 0x74: 'typed array: binary fields are msgpack bin', 0x78: 'RegExp', 0xff: 'timestamp',
};

/** The msgpack name of a token's first byte, for messages. */
export function tokenName(b: number): string {
  if (b < 0x80) return 'positive fixint';
  if (b < 0x90) return 'fixmap';
  if (b < 0xa0) return 'fixarray';
  if (b < 0xc0) return 'fixstr';
  if (b >= 0xe0) return 'negative fixint';
  return TOKENS[b][2];
}

/** Throws a PackError unless `body` is exactly one msgpack value of the kinds a pack uses. */
export function scanBody(body: Uint8Array): void {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const open: number[] = []; // values still to read in each open container, innermost last
  let pos = 0, containers = 0;
  const take = (n: number, start: number): number => {
    if (n > body.length - pos) fail('MALFORMED', `the ${tokenName(body[start])} at body byte ${start} needs ${n} more bytes, ${body.length - pos} remain`);
    const at = pos;
    pos += n;
    return at;
  };
  const uint = (size: number, start: number): number => {
    const at = take(size, start);
    return size === 1 ? body[at] : size === 2 ? view.getUint16(at) : view.getUint32(at);
  };
  do {
    const start = pos;
    if (pos >= body.length) fail('MALFORMED', `the body ends at byte ${pos} with ${open.length} container(s) unfinished`);
    const b = body[pos++];
    let entries: number | undefined;
    if (b >= 0x80 && b < 0xa0) entries = (b & 0x0f) * (b < 0x90 ? 2 : 1);
    else if (b >= 0xa0 && b < 0xc0) take(b & 0x1f, start);
    else if (b >= 0xc0 && b < 0xe0) {
      const [kind, size, name] = TOKENS[b];
      if (kind === 'unused') fail('MALFORMED', `${name} at body byte ${start}`);
      if (kind === 'ext') {
        const type = body[pos + size];
        const known = type === undefined ? '' : MSGPACKR_EXTENSIONS[type] ? ` (msgpackr's ${MSGPACKR_EXTENSIONS[type]})` : '';
        fail('MALFORMED', `msgpack extension ${name} of type ${type === undefined ? '?' : `0x${type.toString(16).padStart(2, '0')}`}${known} at body byte ${start}: the pack format defines no extension types`);
      }
      if (kind === 'scalar') take(size, start);
      else if (kind === 'bytes') take(uint(size, start), start);
      else entries = uint(size, start) * (kind === 'map' ? 2 : 1);
    }
    if (entries !== undefined) {
      if (++containers > MAX_CONTAINERS) fail('LIMIT', `more than ${MAX_CONTAINERS} maps and arrays in the body (a pack has at most 2 per tensor and 11 others)`);
      if (open.length === MAX_DEPTH) fail('MALFORMED', `the ${tokenName(b)} at body byte ${start} is nested deeper than any pack field (${MAX_DEPTH} levels)`);
      if (entries > body.length - pos) fail('MALFORMED', `the ${tokenName(b)} at body byte ${start} declares ${entries} values, ${body.length - pos} bytes remain`);
      if (entries > 0) {
        open.push(entries);
        continue;
      }
    }
    while (open.length > 0 && --open[open.length - 1] === 0) open.pop(); // a value ends every container it completes
  } while (open.length > 0);
  if (pos !== body.length) fail('MALFORMED', `${body.length - pos} bytes after the body's one value`);
}
