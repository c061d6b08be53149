/**
 * The msgpack body ⇄ PackContent, field by field. Decoding trusts nothing: every map must
 * have exactly its keys, every value its type and bounds, and nothing is allocated from a
 * declared size before that size is checked against the bytes actually present.
 */
import { fail } from './errors.js';
import { LIMITS, numelOf, PACK_KINDS, taskSpecOfPack, versionOf, type DenseTensor, type HyperValue, type ModuleSpec, type ModuleTensor, type PackContent, type PackTask, type SparseDiff } from './format.js';
import { checkIndices, chooseIndexEncoding, decodeIndices, encodeIndices, type IndexEncoding } from './indices.js';
import { checkModuleTensors } from './module-names.js';
import { BYTES_PER_VALUE, parseValues, valueBytes, VALUE_ENCODINGS, type DiffValues, type ValueEncoding } from './values.js';

const TASK_TYPES = ['classification', 'regression'] as const;
const INDEX_ENCODINGS: readonly IndexEncoding[] = ['gaps', 'bitmap'];
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

/** Body (a msgpack map, keys in this order; v2 adds kind, module and modules) → what Packr writes. */
export function bodyOf(c: PackContent): object {
  if (c.kind === 'diff' && (c.module || c.modules.length)) fail('SCHEMA', 'a diff pack has no module spec or module tensors');
  const sortedMap = <V>(o: Record<string, V>) => new Map(Object.keys(o).sort(byCodePoint).map((k) => [k, o[k]]));
  return {
    base: { id: c.base.id, fingerprint: c.base.fingerprint },
    task: {
      name: c.task.name, description: c.task.description, type: c.task.type, labels: [...c.task.labels],
      inputColumns: [...c.task.inputColumns], maxLength: c.task.maxLength, tokenizer: c.task.tokenizer,
      appVersion: c.task.appVersion, createdAt: c.task.createdAt,
    },
    provenance: {
      method: c.provenance.method, hyperParameters: sortedMap(c.provenance.hyperParameters),
      trainingData: c.provenance.trainingData, devMetrics: sortedMap(c.provenance.devMetrics),
    },
    ...(versionOf(c.kind) === 1 ? {} : { kind: c.kind, module: c.module && moduleBody(c.module) }),
    diffs: c.diffs.map((d) => {
      const where = `diff '${d.name}'`;
      const numel = numelOf(d.dims);
      checkIndices(d.indices, numel, where);
      if (d.values.data.length !== d.indices.length) fail('COUNT_MISMATCH', `${where}: ${d.values.data.length} values for ${d.indices.length} indices`);
      const encoding = chooseIndexEncoding(d.indices, numel);
      return {
        name: d.name, dims: [...d.dims], nnz: d.indices.length, indexEncoding: encoding,
        indices: bin(encodeIndices(d.indices, numel, encoding)), ...valuesBody(d.values),
      };
    }),
    ...(versionOf(c.kind) === 1 ? {} : {
      modules: c.modules.map((t) => {
        if (t.values.data.length !== numelOf(t.dims)) fail('COUNT_MISMATCH', `module '${t.name}': ${t.values.data.length} values for shape [${t.dims.join(', ')}]`);
        return { name: t.name, dims: [...t.dims], ...valuesBody(t.values) };
      }),
    }),
    dense: c.dense.map((t) => ({ name: t.name, dims: [...t.dims], values: bin(valueBytes({ encoding: 'float32', data: t.data })) })),
  };
}

const valuesBody = (v: DiffValues) => ({ valueEncoding: v.encoding, scale: v.encoding === 'int8' ? v.scale : null, values: bin(valueBytes(v)) });

const moduleBody = (m: ModuleSpec) =>
  m.kind === 'lora' ? { kind: m.kind, rank: m.rank, alpha: m.alpha, targets: m.targets } : { kind: m.kind, variant: m.variant, bottleneck: m.bottleneck };

// Buffers are msgpack `bin`; a bare Uint8Array would become msgpackr's typed-array extension.
const bin = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type Field = { get(key: string): unknown; path: string };

function record(value: unknown, path: string, keys: readonly string[]): Field {
  if (!(value instanceof Map)) fail('SCHEMA', `${path} must be a map, got ${kind(value)}`);
  const map = value as Map<unknown, unknown>;
  for (const k of map.keys()) if (typeof k !== 'string' || !keys.includes(k)) fail('SCHEMA', `${path} has an unknown key ${JSON.stringify(k)}`);
  for (const k of keys) if (!map.has(k)) fail('SCHEMA', `${path}.${k} is missing`);
  return { get: (k) => map.get(k), path };
}

function kind(v: unknown): string {
  if (v === null) return 'nil';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Map) return 'map';
  return typeof v === 'object' ? `an object (${Object.prototype.toString.call(v)})` : typeof v;
}

function str(f: Field, key: string, max: number = LIMITS.nameChars, nonEmpty = false): string {
  const v = f.get(key);
  if (typeof v !== 'string') fail('SCHEMA', `${f.path}${key.startsWith('[') ? '' : '.'}${key} must be a string, got ${kind(v)}`);
  const s = v as string;
  if (s.length > max) fail('LIMIT', `${f.path}.${key} is ${s.length} characters (at most ${max})`);
  if (nonEmpty && s.length === 0) fail('SCHEMA', `${f.path}.${key} is empty`);
  return s;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail('SCHEMA', `${path} must be an integer, got ${kind(v)} ${String(v)}`);
  const n = v as number;
  if (n < min || n > max) fail(n > max ? 'LIMIT' : 'SCHEMA', `${path} is ${n}, outside ${min}…${max}`);
  return n;
}

function oneOf<T extends string>(f: Field, key: string, allowed: readonly T[]): T {
  const s = str(f, key);
  if (!(allowed as readonly string[]).includes(s)) fail('SCHEMA', `${f.path}.${key} is '${s}', not one of ${allowed.join(', ')}`);
  return s as T;
}

function list(f: Field, key: string, max: number): unknown[] {
  const v = f.get(key);
  if (!Array.isArray(v)) fail('SCHEMA', `${f.path}.${key} must be an array, got ${kind(v)}`);
  if ((v as unknown[]).length > max) fail('LIMIT', `${f.path}.${key} has ${(v as unknown[]).length} entries (at most ${max})`);
  return v as unknown[];
}

function strings(f: Field, key: string, max: number): string[] {
  return list(f, key, max).map((s, i) => str({ get: () => s, path: `${f.path}.${key}` }, `[${i}]`, LIMITS.nameChars));
}

function bytes(f: Field, key: string): Uint8Array {
  const v = f.get(key);
  if (!(v instanceof Uint8Array)) fail('SCHEMA', `${f.path}.${key} must be bytes, got ${kind(v)}`);
  return v as Uint8Array;
}

function dims(f: Field): number[] {
  const ds = list(f, 'dims', LIMITS.rank).map((d, i) => int(d, `${f.path}.dims[${i}]`, 1, LIMITS.numel));
  // Product in floating point: exact below 2^53, and anything that large is already over the limit.
  const n = ds.reduce((a, b) => a * b, 1);
  if (n > LIMITS.numel) fail('LIMIT', `${f.path}.dims [${ds.join(', ')}] hold ${n} values (at most ${LIMITS.numel})`);
  return ds;
}

function sortedMap<V>(f: Field, key: string, value: (v: unknown, path: string) => V): Record<string, V> {
  const m = f.get(key);
  if (!(m instanceof Map)) fail('SCHEMA', `${f.path}.${key} must be a map, got ${kind(m)}`);
  const map = m as Map<unknown, unknown>;
  if (map.size > LIMITS.mapEntries) fail('LIMIT', `${f.path}.${key} has ${map.size} entries (at most ${LIMITS.mapEntries})`);
  // Object.fromEntries defines own properties: a '__proto__' key stays data, never a prototype.
  const entries: [string, V][] = [];
  let prev: string | undefined;
  for (const [k, v] of map) {
    if (typeof k !== 'string' || k.length === 0 || k.length > LIMITS.nameChars) fail('SCHEMA', `${f.path}.${key} has a bad key ${JSON.stringify(k)}`);
    if (prev !== undefined && !(prev < (k as string))) fail('NON_CANONICAL', `${f.path}.${key}: keys must be unique and in code-point order ('${prev}', '${k}')`);
    prev = k as string;
    entries.push([k as string, value(v, `${f.path}.${key}.${k}`)]);
  }
  return Object.fromEntries(entries);
}

const hyperValue = (v: unknown, path: string): HyperValue => {
  if (typeof v === 'string') { if (v.length > LIMITS.textChars) fail('LIMIT', `${path} is too long`); return v; }
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') { if (!Number.isFinite(v)) fail('NON_FINITE', `${path} is ${v}`); return v; }
  return fail('SCHEMA', `${path} must be a number, string or boolean, got ${kind(v)}`);
};
const metricValue = (v: unknown, path: string): number => {
  if (typeof v !== 'number') fail('SCHEMA', `${path} must be a number, got ${kind(v)}`);
  if (!Number.isFinite(v)) fail('NON_FINITE', `${path} is ${v}`);
  return v as number;
};

function parseDiff(value: unknown, path: string): SparseDiff {
  const f = record(value, path, ['name', 'dims', 'nnz', 'indexEncoding', 'indices', 'valueEncoding', 'scale', 'values']);
  const name = str(f, 'name', LIMITS.nameChars, true);
  const where = `diff '${name}'`;
  const shape = dims(f);
  const numel = numelOf(shape);
  const nnz = int(f.get('nnz'), `${path}.nnz`, 0, LIMITS.numel);
  if (nnz > numel) fail('COUNT_MISMATCH', `${where}: ${nnz} nonzeros in a tensor of ${numel} values`);
  const indexEncoding = oneOf(f, 'indexEncoding', INDEX_ENCODINGS);
  const values = storedValues(f, nnz, `${nnz} nonzeros`, where);
  const indices = decodeIndices(bytes(f, 'indices'), indexEncoding, nnz, numel, where);
  return { name, dims: shape, indices, values: values() };
}

/** valueEncoding, scale and values of `count` values: checked now, parsed by the returned call. */
function storedValues(f: Field, count: number, what: string, where: string): () => DiffValues {
  const valueEncoding = oneOf<ValueEncoding>(f, 'valueEncoding', VALUE_ENCODINGS);
  const scaleRaw = f.get('scale');
  if (valueEncoding === 'int8' ? typeof scaleRaw !== 'number' : scaleRaw !== null) {
    fail('SCHEMA', `${where}: scale must be ${valueEncoding === 'int8' ? 'a number for int8' : `nil for ${valueEncoding}`}, got ${kind(scaleRaw)}`);
  }
  const valueData = bytes(f, 'values');
  const expected = count * BYTES_PER_VALUE[valueEncoding];
  if (valueData.length !== expected) fail('COUNT_MISMATCH', `${where}: ${valueData.length} bytes of ${valueEncoding} values for ${what} (needs ${expected})`);
  return () => parseValues(valueData, valueEncoding, valueEncoding === 'int8' ? (scaleRaw as number) : undefined, where);
}

function parseModule(value: unknown, path: string): ModuleTensor {
  const f = record(value, path, ['name', 'dims', 'valueEncoding', 'scale', 'values']);
  const name = str(f, 'name', LIMITS.nameChars, true);
  const shape = dims(f);
  return { name, dims: shape, values: storedValues(f, numelOf(shape), `shape [${shape.join(', ')}]`, `module '${name}'`)() };
}

function parseModuleSpec(value: unknown, path: string): ModuleSpec {
  if (!(value instanceof Map)) return fail('SCHEMA', `${path} must be a map, got ${kind(value)}`);
  const which = value.get('kind');
  const width = (f: Field, key: string) => int(f.get(key), `${path}.${key}`, 1, LIMITS.moduleWidth);
  if (which === 'lora') {
    const f = record(value, path, ['kind', 'rank', 'alpha', 'targets']);
    const alpha = f.get('alpha');
    if (typeof alpha !== 'number') return fail('SCHEMA', `${path}.alpha must be a number, got ${kind(alpha)}`);
    if (!Number.isFinite(alpha)) fail('NON_FINITE', `${path}.alpha is ${alpha}`);
    if (!(alpha > 0) || alpha > LIMITS.loraAlpha) fail(alpha > 0 ? 'LIMIT' : 'SCHEMA', `${path}.alpha is ${alpha}, outside (0, ${LIMITS.loraAlpha}]`);
    return { kind: 'lora', rank: width(f, 'rank'), alpha, targets: oneOf(f, 'targets', ['qv', 'all'] as const) };
  }
  if (which === 'adapter') {
    const f = record(value, path, ['kind', 'variant', 'bottleneck']);
    return { kind: 'adapter', variant: oneOf(f, 'variant', ['houlsby', 'pfeiffer'] as const), bottleneck: width(f, 'bottleneck') };
  }
  return fail('SCHEMA', `${path}.kind is ${typeof which === 'string' ? `'${which}'` : kind(which)}, not one of lora, adapter`);
}

function parseDense(value: unknown, path: string): DenseTensor {
  const f = record(value, path, ['name', 'dims', 'values']);
  const name = str(f, 'name', LIMITS.nameChars, true);
  const shape = dims(f);
  const raw = bytes(f, 'values');
  if (raw.length !== 4 * numelOf(shape)) fail('COUNT_MISMATCH', `dense '${name}': ${raw.length} bytes for shape [${shape.join(', ')}] (needs ${4 * numelOf(shape)})`);
  const values = parseValues(raw, 'float32', undefined, `dense '${name}'`);
  return { name, dims: shape, data: values.data as Float32Array };
}

/** The head every base trains, head.w [features, outputs] and head.b [outputs], with the task's outputs. */
function checkHead(task: PackTask, dense: readonly DenseTensor[]): void {
  const dims = (name: string) => dense.find((t) => t.name === name)?.dims;
  const w = dims('head.w'), b = dims('head.b');
  if (!w || !b || dense.length !== 2) return fail('SCHEMA', `pack.dense must hold exactly head.w and head.b, got ${dense.map((t) => t.name).join(', ') || 'none'}`);
  const { outputs } = taskSpecOfPack({ task });
  if (w.length !== 2 || b.length !== 1 || w[1] !== outputs || b[0] !== outputs) {
    const what = task.type === 'regression' ? 'a regression task has 1 output' : `the ${task.labels.length} labels need ${outputs} outputs`;
    fail('COUNT_MISMATCH', `head.w [${w.join(', ')}] and head.b [${b.join(', ')}] do not fit the task: ${what}`);
  }
}

/** A decoded msgpack body of format `version` → content, checking everything that needs no base. */
export function contentOf(body: unknown, version: number): PackContent {
  const top = record(body, 'pack', version === 1 ? ['base', 'task', 'provenance', 'diffs', 'dense'] : ['base', 'task', 'provenance', 'kind', 'module', 'diffs', 'modules', 'dense']);
  const base = record(top.get('base'), 'pack.base', ['id', 'fingerprint']);
  const fingerprint = str(base, 'fingerprint');
  if (!HEX64.test(fingerprint)) fail('SCHEMA', 'pack.base.fingerprint must be 64 lowercase hex digits');
  const t = record(top.get('task'), 'pack.task', ['name', 'description', 'type', 'labels', 'inputColumns', 'maxLength', 'tokenizer', 'appVersion', 'createdAt']);
  const task = {
    name: str(t, 'name', LIMITS.nameChars, true),
    description: str(t, 'description', LIMITS.textChars),
    type: oneOf(t, 'type', TASK_TYPES),
    labels: strings(t, 'labels', LIMITS.labels),
    inputColumns: strings(t, 'inputColumns', LIMITS.inputColumns),
    maxLength: int(t.get('maxLength'), 'pack.task.maxLength', 1, LIMITS.maxLength),
    tokenizer: str(t, 'tokenizer'),
    appVersion: str(t, 'appVersion'),
    createdAt: str(t, 'createdAt'),
  };
  if (task.type === 'classification' ? task.labels.length < 2 : task.labels.length !== 0) {
    fail('SCHEMA', `pack.task.labels: ${task.type} needs ${task.type === 'classification' ? 'at least 2 labels' : 'none'}, got ${task.labels.length}`);
  }
  if (task.inputColumns.length === 0) fail('SCHEMA', 'pack.task.inputColumns is empty');
  if (!ISO_UTC.test(task.createdAt)) fail('SCHEMA', `pack.task.createdAt '${task.createdAt}' is not an ISO 8601 UTC time`);
  const p = record(top.get('provenance'), 'pack.provenance', ['method', 'hyperParameters', 'trainingData', 'devMetrics']);
  const provenance = {
    method: str(p, 'method', LIMITS.nameChars, true),
    hyperParameters: sortedMap(p, 'hyperParameters', hyperValue),
    trainingData: str(p, 'trainingData'),
    devMetrics: sortedMap(p, 'devMetrics', metricValue),
  };
  const packKind = version === 1 ? 'diff' : oneOf(top, 'kind', PACK_KINDS);
  if (version !== 1 && versionOf(packKind) !== version) fail('NON_CANONICAL', `a '${packKind}' pack is written as format version ${versionOf(packKind)}, not ${version}`);
  const module = version === 1 ? undefined : parseModuleSpec(top.get('module'), 'pack.module');
  if (module && module.kind !== packKind) fail('SCHEMA', `pack.module.kind is '${module.kind}' in a '${packKind}' pack`);
  const diffList = list(top, 'diffs', LIMITS.tensors), denseList = list(top, 'dense', LIMITS.tensors);
  const moduleList = version === 1 ? [] : list(top, 'modules', LIMITS.tensors);
  const tensors = diffList.length + denseList.length + moduleList.length;
  if (tensors > LIMITS.tensors) fail('LIMIT', `${tensors} tensors (at most ${LIMITS.tensors})`);
  const diffs = diffList.map((d, i) => parseDiff(d, `pack.diffs[${i}]`));
  const modules = moduleList.map((d, i) => parseModule(d, `pack.modules[${i}]`));
  const dense = denseList.map((d, i) => parseDense(d, `pack.dense[${i}]`));
  if (module) checkModuleTensors(module, modules);
  const seen = new Set<string>();
  for (const { name } of [...diffs, ...modules, ...dense]) {
    if (seen.has(name)) fail('DUPLICATE_TENSOR', `tensor '${name}' appears twice`);
    seen.add(name);
  }
  for (const { name } of dense) if (!name.startsWith('head.')) fail('HEAD_CONFLICT', `dense tensor '${name}': new tensors must be named 'head.*'`);
  checkHead(task, dense);
  return { base: { id: str(base, 'id', LIMITS.nameChars, true), fingerprint }, task, provenance, kind: packKind, ...(module ? { module } : {}), diffs, modules, dense };
}
