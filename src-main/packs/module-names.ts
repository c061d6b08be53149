/**
 * The module tensors a LoRA or adapter pack may hold, checked without a base: each name in
 * the grammar of its kind (model/modules.ts gives the canonical names), every group whole
 * (a LoRA target's a and b, an adapter site's four tensors), and shapes that agree with the
 * spec and with each other. Against a base, codec.checkAgainstBase compares the exact set
 * with moduleShapes(spec, base).
 */
import { moduleBaseTensors, moduleShapes } from '../model/modules.js';
import { fail } from './errors.js';
import type { ModuleSpec, ModuleTensor, PackContent } from './format.js';

const LORA_NAME = /^lora\.(l(?:0|[1-9]\d{0,3})\.(?:attn\.(?:q|k|v|out)|ffn\.(?:in|out)))\.(a|b)$/;
const ADAPTER_NAME = /^adapter\.(l(?:0|[1-9]\d{0,3})\.(?:attn|ffn)\.out)\.(down\.w|down\.b|up\.w|up\.b)$/;
const LORA_QV = /\.attn\.[qv]$/;

/** The parts of each group, in the order a group's shapes are checked. */
const PARTS = { lora: ['a', 'b'], adapter: ['down.w', 'down.b', 'up.w', 'up.b'] } as const;

export function checkModuleTensors(spec: ModuleSpec, modules: readonly ModuleTensor[]): void {
  const groups = new Map<string, Map<string, number[]>>();
  for (const t of modules) {
    const m = (spec.kind === 'lora' ? LORA_NAME : ADAPTER_NAME).exec(t.name);
    if (!m) fail('SCHEMA', `module '${t.name}' is not a ${spec.kind} tensor name (${spec.kind === 'lora' ? 'lora.l<k>.attn.q.a, …' : 'adapter.l<k>.ffn.out.down.w, …'})`);
    const [, group, part] = m!;
    if (spec.kind === 'lora' && spec.targets === 'qv' && !LORA_QV.test(group)) fail('SCHEMA', `module '${t.name}': LoRA with targets 'qv' adapts only the query and value projections`);
    if (spec.kind === 'adapter' && spec.variant === 'pfeiffer' && group.endsWith('.attn.out')) fail('SCHEMA', `module '${t.name}': a Pfeiffer adapter sits only after the feed-forward output`);
    const parts = groups.get(group) ?? new Map<string, number[]>();
    if (parts.has(part)) fail('DUPLICATE_TENSOR', `tensor '${t.name}' appears twice`);
    groups.set(group, parts.set(part, t.dims));
  }
  if (groups.size === 0) fail('SCHEMA', `a ${spec.kind} pack holds no module tensors`);
  for (const [group, parts] of groups) {
    const missing = PARTS[spec.kind].filter((p) => !parts.has(p));
    if (missing.length) fail('SCHEMA', `${spec.kind} ${group}: ${missing.map((p) => `'${p}'`).join(' and ')} missing`);
    const shape = (part: string) => parts.get(part)!;
    const want = spec.kind === 'lora' ? loraShapes(shape('a')[0], shape('b')[1], spec.rank) : adapterShapes(shape('down.w')[0], spec.bottleneck);
    for (const [part, dims] of Object.entries(want)) {
      const got = shape(part);
      if (got.length !== dims.length || got.some((n, i) => n !== dims[i])) {
        const width = spec.kind === 'lora' ? `rank ${spec.rank}` : `bottleneck ${spec.bottleneck}`;
        fail('SHAPE_MISMATCH', `module '${spec.kind}.${group}.${part}' has shape [${got.join(', ')}]; with ${width} it must be [${dims.join(', ')}]`);
      }
    }
  }
}

const loraShapes = (dIn: number, dOut: number, r: number) => ({ a: [dIn, r], b: [r, dOut] });
const adapterShapes = (h: number, m: number) => ({ 'down.w': [h, m], 'down.b': [m], 'up.w': [m, h], 'up.b': [h] });

/**
 * A module pack on this base: the base can host its spec (moduleShapes: its targets or sites
 * exist, no rank or bottleneck wider than what it adapts), its module tensors are exactly
 * moduleShapes(spec, base), and its diffs touch only the base tensors the method trains
 * (Houlsby's LayerNorms).
 */
export function checkModulesAgainstBase(content: Pick<PackContent, 'module' | 'modules' | 'diffs' | 'kind'>, shapes: ReadonlyMap<string, readonly number[]>): void {
  const spec = content.module!;
  let want: Record<string, number[]>;
  try {
    want = moduleShapes(spec, Object.fromEntries([...shapes].map(([n, d]) => [n, [...d]])));
  } catch (e) {
    return fail('CANNOT_HOST', `this base cannot host a ${describeModule(spec)} pack: ${e instanceof Error ? e.message : String(e)}`);
  }
  const got = new Map(content.modules.map((t) => [t.name, t.dims]));
  for (const [name, dims] of Object.entries(want)) {
    const have = got.get(name);
    if (!have) fail('MODULE_MISMATCH', `module '${name}' is missing: a ${describeModule(spec)} pack on this base has ${Object.keys(want).length} module tensors`);
    if (have!.length !== dims.length || have!.some((n, i) => n !== dims[i])) fail('MODULE_MISMATCH', `module '${name}': shape [${have!.join(', ')}], this base needs [${dims.join(', ')}]`);
  }
  for (const name of got.keys()) if (!(name in want)) fail('MODULE_MISMATCH', `module '${name}': a ${describeModule(spec)} pack on this base has no such tensor`);
  const trainable = new Set(moduleBaseTensors(spec, [...shapes.keys()]));
  for (const d of content.diffs) {
    if (!trainable.has(d.name)) fail('MODULE_MISMATCH', `diff '${d.name}': a ${describeModule(spec)} pack changes ${trainable.size ? 'only the layers\' LayerNorms' : 'no base tensor'}`);
  }
}

/** 'LoRA r 8 (qv)', 'Houlsby adapter (bottleneck 64)': for messages and `pack inspect`. */
export const describeModule = (spec: ModuleSpec) =>
  spec.kind === 'lora' ? `LoRA r ${spec.rank} α ${spec.alpha} (${spec.targets})` : `${spec.variant === 'houlsby' ? 'Houlsby' : 'Pfeiffer'} adapter (bottleneck ${spec.bottleneck})`;
