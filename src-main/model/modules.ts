/**
 * Module methods: small task tensors added to a frozen base instead of a diff of it.
 *
 * - LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): a targeted
 *   weight W [d_in, d_out] (our y = x·W layout) becomes W + (α/r)·A·B with A [d_in, r] and
 *   B [r, d_out]; B starts at zero so training starts at the base. A starts as the reference
 *   code does (microsoft/LoRA loralib/layers.py, Linear.reset_parameters:
 *   kaiming_uniform_(lora_A, a=√5), i.e. U(±1/√d_in)); the paper says only "random Gaussian".
 *   Targets 'qv' are the paper's GLUE setting (W_q and W_v); 'all' adds W_k, W_o and the FFN.
 *   The fused QKV tensor `l<k>.attn.qkv.w` [d, 3d] gets its q third [0, d) and v third [2d, 3d).
 * - Adapters (Houlsby et al. 2019, "Parameter-Efficient Transfer Learning for NLP";
 *   Pfeiffer et al. 2021, "AdapterFusion"): y ↦ y + up(gelu(down(y))) on a sublayer's output
 *   before its residual add and LayerNorm: after attention and after the FFN (Houlsby), after
 *   the FFN only (Pfeiffer). Init as google-research/adapter-bert (feedforward_adapter):
 *   weights truncated N(0, 10⁻³²), biases 0, so each adapter starts near the identity.
 *   Houlsby also trains every layer's LayerNorm γ/β (the paper's §2.1); Pfeiffer and LoRA
 *   train no base tensor.
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import type { Rng } from '../util/rng.js';
import type { ParamFn } from './layers.js';

export type ModuleSpec =
  | { kind: 'lora'; rank: number; alpha: number; targets: 'qv' | 'all' }
  | { kind: 'adapter'; variant: 'houlsby' | 'pfeiffer'; bottleneck: number };

const LORA_TARGETS = { qv: ['attn.q', 'attn.v'], all: ['attn.q', 'attn.k', 'attn.v', 'attn.out', 'ffn.in', 'ffn.out'] } as const;
const ADAPTER_SITES = { houlsby: ['attn.out', 'ffn.out'], pfeiffer: ['ffn.out'] } as const;
/** adapter-bert's adapter_init_scale. */
const ADAPTER_INIT_STD = 1e-3;

/** The transformer layers' prefixes `l<k>`, from their attention output tensors. */
function layerPrefixes(names: Iterable<string>): string[] {
  return [...names].map((n) => /^(l\d+)\.attn\.out\.w$/.exec(n)?.[1]).filter((p): p is string => p !== undefined);
}

/** [d_in, d_out] of a LoRA target: its own tensor, or a third of the fused QKV. */
function targetDims(base: Record<string, number[]>, target: string): number[] {
  const own = base[`${target}.w`];
  if (own) return own;
  const m = /^(l\d+\.attn)\.[qkv]$/.exec(target);
  const fused = m && base[`${m[1]}.qkv.w`];
  if (!fused || fused[1] % 3 !== 0) throw new Error(`the base has no weight '${target}.w' for LoRA to adapt`);
  return [fused[0], fused[1] / 3];
}

export const loraNames = (target: string) => ({ a: `lora.${target}.a`, b: `lora.${target}.b` });
export const adapterName = (site: string, part: 'down.w' | 'down.b' | 'up.w' | 'up.b') => `adapter.${site}.${part}`;

/** The module tensors' shapes, canonical names (see the file's header), in a fixed order. */
export function moduleShapes(spec: ModuleSpec, baseShapes: Record<string, number[]>): Record<string, number[]> {
  checkSpec(spec);
  const out: Record<string, number[]> = {};
  for (const l of layerPrefixes(Object.keys(baseShapes))) {
    if (spec.kind === 'lora') {
      for (const t of LORA_TARGETS[spec.targets]) {
        const [dIn, dOut] = targetDims(baseShapes, `${l}.${t}`);
        // A rank above min(d_in, d_out) is no low-rank update (the pack decoder refuses it through here too).
        if (spec.rank > Math.min(dIn, dOut)) throw new Error(`LoRA rank ${spec.rank} is wider than the ${Math.min(dIn, dOut)} of '${l}.${t}' [${dIn}, ${dOut}]`);
        const n = loraNames(`${l}.${t}`);
        out[n.a] = [dIn, spec.rank];
        out[n.b] = [spec.rank, dOut];
      }
    } else {
      for (const s of ADAPTER_SITES[spec.variant]) {
        const w = baseShapes[`${l}.${s}.w`];
        if (!w) throw new Error(`the base has no weight '${l}.${s}.w' to place an adapter after`);
        const [h, m] = [w[1], spec.bottleneck];
        if (m > h) throw new Error(`adapter bottleneck ${m} is wider than the ${h} it adapts after '${l}.${s}'`);
        Object.assign(out, { [adapterName(`${l}.${s}`, 'down.w')]: [h, m], [adapterName(`${l}.${s}`, 'down.b')]: [m], [adapterName(`${l}.${s}`, 'up.w')]: [m, h], [adapterName(`${l}.${s}`, 'up.b')]: [h] });
      }
    }
  }
  if (Object.keys(out).length === 0) throw new Error('the base has no transformer layers (l<k>.attn.out.w) to host modules');
  return out;
}

export function checkSpec(spec: ModuleSpec): void {
  const size = spec.kind === 'lora' ? spec.rank : spec.bottleneck;
  if (!Number.isInteger(size) || size < 1) throw new Error(`${spec.kind === 'lora' ? 'LoRA rank' : 'adapter bottleneck'} must be a positive integer, got ${size}`);
  if (spec.kind === 'lora' && !(Number.isFinite(spec.alpha) && spec.alpha > 0)) throw new Error(`LoRA alpha must be a positive number, got ${spec.alpha}`);
}

/** N(0, std²) truncated at 2σ by redrawing, as tf.truncated_normal. */
function fillTruncatedNormal(a: Float32Array, rng: Rng, std: number): void {
  for (let i = 0; i < a.length; i++) {
    let x: number;
    do x = rng.normal(); while (Math.abs(x) > 2);
    a[i] = std * x;
  }
}

/** The module tensors at their papers' initialisations (see the file's header). */
export function initModules(spec: ModuleSpec, shapes: Record<string, number[]>, rng: Rng): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, dims] of Object.entries(shapes)) {
    const a = new Float32Array(dims.reduce((x, y) => x * y, 1));
    if (name.startsWith('lora.') && name.endsWith('.a')) rng.fillUniform(a, -1 / Math.sqrt(dims[0]), 1 / Math.sqrt(dims[0]));
    else if (name.startsWith('adapter.') && name.endsWith('.w')) fillTruncatedNormal(a, rng, ADAPTER_INIT_STD);
    out[name] = a;
  }
  return out;
}

/** Base tensors the method trains densely beside its modules: Houlsby's LayerNorms (γ and β of every layer). */
export function moduleBaseTensors(spec: ModuleSpec, baseNames: string[]): string[] {
  if (spec.kind !== 'adapter' || spec.variant !== 'houlsby') return [];
  return baseNames.filter((n) => /^l\d+\.ln\d*\.[gb]$/.test(n));
}

const countOf = (shapes: Record<string, number[]>, names?: readonly string[]) =>
  (names ?? Object.keys(shapes)).reduce((a, n) => a + shapes[n].reduce((x, y) => x * y, 1), 0);

/** Parameters a module method keeps per task: its module tensors and the base tensors it trains with them. */
export function moduleParams(spec: ModuleSpec, baseShapes: Record<string, number[]>): number {
  return countOf(moduleShapes(spec, baseShapes)) + countOf(baseShapes, moduleBaseTensors(spec, Object.keys(baseShapes)));
}

/**
 * The largest bottleneck whose adapters (and, for Houlsby, LayerNorms) stay within `share`
 * of the base's parameters, at least 1 and at most the narrowest width it adapts: adapters at the diff methods' budget, so the
 * comparison is at equal bytes. (Houlsby et al.'s 64 on BERT-base is ≈ 2.2 % of it: 24 adapters and the LayerNorms.)
 */
export function adapterBottleneck(variant: 'houlsby' | 'pfeiffer', baseShapes: Record<string, number[]>, share: number): number {
  const at = (m: number) => moduleParams({ kind: 'adapter', variant, bottleneck: m }, baseShapes);
  const perUnit = at(2) - at(1), fixed = at(1) - perUnit;
  // No wider than the narrowest site: a bottleneck, not an expansion.
  const narrowest = Math.min(...Object.entries(moduleShapes({ kind: 'adapter', variant, bottleneck: 1 }, baseShapes)).filter(([n]) => n.endsWith('.down.w')).map(([, [h]]) => h));
  return Math.max(1, Math.min(narrowest, Math.floor((share * countOf(baseShapes) - fixed) / perUnit)));
}

/** ΔW = (α/r)·A·B of one target. */
const loraDelta = (spec: { rank: number; alpha: number }, m: (name: string) => Tensor, target: string) =>
  g.mul(g.matmul(m(loraNames(target).a), m(loraNames(target).b)), spec.alpha / spec.rank);

/** y + up(gelu(down(y))). */
export function adapterBlock(m: (name: string) => Tensor, site: string, y: Tensor): Tensor {
  const hid = g.gelu(g.add(g.matmul(y, m(adapterName(site, 'down.w'))), m(adapterName(site, 'down.b'))));
  return g.add(y, g.add(g.matmul(hid, m(adapterName(site, 'up.w'))), m(adapterName(site, 'up.b'))));
}

/**
 * The base's ParamFn with the modules in: LoRA's targeted weights merged (W + ΔW), adapters
 * at their sites through the `site` hook (composed with any hook `p` already has).
 * `m` looks a module tensor up by its canonical name.
 */
export function withModules(p: ParamFn, spec: ModuleSpec, m: (name: string) => Tensor): ParamFn {
  checkSpec(spec);
  if (spec.kind === 'adapter') {
    const sites = new Set<string>(ADAPTER_SITES[spec.variant]);
    const inner = p.site;
    const site = (s: string, y: Tensor) => {
      const y1 = inner?.(s, y) ?? y;
      return sites.has(s.replace(/^l\d+\./, '')) ? adapterBlock(m, s, y1) : y1;
    };
    return Object.assign((name: string) => p(name), { site });
  }
  const targets = new Set<string>(LORA_TARGETS[spec.targets]);
  const fn = (name: string): Tensor => {
    const w = p(name);
    const fused = /^(l\d+)\.attn\.qkv\.w$/.exec(name);
    if (fused) {
      // Each targeted third's ΔW zero-padded to [d_in, 3d] at its offset.
      const d = (w.shape[1] as number) / 3;
      return (['q', 'k', 'v'] as const).reduce((acc, k, j) => (targets.has(`attn.${k}`)
        ? g.add(acc, g.pad(loraDelta(spec, m, `${fused[1]}.attn.${k}`), 1, j * d, (2 - j) * d)) : acc), w);
    }
    const own = /^(l\d+)\.(.+)\.w$/.exec(name);
    return own && targets.has(own[2]) ? g.add(w, loraDelta(spec, m, `${own[1]}.${own[2]}`)) : w;
  };
  return Object.assign(fn, { site: p.site });
}
