/**
 * What an ONNX Runtime run holds at once: from a session's profile (the order the nodes ran
 * in and each node's output bytes) and its optimized model (which node reads which tensor),
 * the bytes of intermediates alive after each node, assuming each is freed after its last
 * reader, as ONNX Runtime's CPU provider does without its arena. Graph outputs are left out
 * (the step loop hands their buffers in); so is any reuse of a dead buffer by ONNX Runtime's
 * planner, so this is an upper bound on what it allocates. Prints the peak, what is alive
 * there by producing op and tensor, and the curve.
 *
 *   TASKPACK_ORT_PROFILE=/tmp/p TRAIN_STEP_CONTENDERS=diff TRAIN_STEP_ROUNDS=1 npm run bench -- train-step-base
 *   npx tsx scripts/ort-liveness.ts /tmp/p_<time>.json /tmp/p-opt.onnx
 */
import { readFileSync } from 'node:fs';
import { ModelProto } from '../src-main/onnx/proto.js';
import type { ModelMsg } from '../src-main/onnx/proto.js';

interface ProfileEvent { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string; output_size?: string } }

const MiB = 2 ** 20;
const [profileFile, modelFile] = process.argv.slice(2);
if (!profileFile || !modelFile) throw new Error('usage: ort-liveness <profile.json> <optimized-model.onnx>');
const events = JSON.parse(readFileSync(profileFile, 'utf8')) as ProfileEvent[];
const graph = (ModelProto.decode(readFileSync(modelFile)) as unknown as ModelMsg).graph!;
const nodes = new Map((graph.node ?? []).map((n) => [n.name ?? '', n]));
const outputs = new Set((graph.output ?? []).map((o) => o.name));
// The last run's kernels, in the order they ran.
const run = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').at(-1);
if (!run) throw new Error('the profile holds no model_run');
const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= run.ts && e.ts <= run.ts + run.dur);

const bytes = new Map<string, number>(), born = new Map<string, number>(), lastRead = new Map<string, number>(), op = new Map<string, string>();
kernels.forEach((e, i) => {
  const n = nodes.get(e.name.replace(/_kernel_time$/, ''));
  if (!n) return;
  const outs = (n.output ?? []).filter((o) => o && !outputs.has(o));
  for (const o of outs) { bytes.set(o, Number(e.args?.output_size ?? 0) / (n.output ?? []).length); born.set(o, i); op.set(o, n.op_type ?? '?'); }
  for (const x of n.input ?? []) if (x) lastRead.set(x, i);
});
const dies = (t: string) => lastRead.get(t) ?? born.get(t)!;
const delta = new Float64Array(kernels.length + 1);
for (const [t, b] of bytes) { delta[born.get(t)!] += b; delta[dies(t) + 1] -= b; }
let live = 0, peak = 0, at = 0;
const curve = Array.from(delta.subarray(0, kernels.length), (d, i) => { live += d; if (live > peak) { peak = live; at = i; } return live; });

const alive = [...bytes].filter(([t]) => born.get(t)! <= at && dies(t) >= at);
const byOp = new Map<string, number>();
for (const [t, b] of alive) byOp.set(op.get(t)!, (byOp.get(op.get(t)!) ?? 0) + b);
console.log(`${kernels.length} nodes, ${(run.dur / 1e6).toFixed(1)} s; peak ${(peak / MiB).toFixed(0)} MiB after node ${at} (${kernels[at].args?.op_name}, ${((kernels[at].ts - run.ts) / 1e6).toFixed(1)} s in)`);
console.log('alive at the peak, by producing op (MiB):', [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([o, b]) => `${o} ${(b / MiB).toFixed(0)}`).join(', '));
console.log('largest:', alive.sort((a, b) => b[1] - a[1]).slice(0, 10).map(([t, b]) => `${t} (${op.get(t)}, ${(b / MiB).toFixed(1)} MiB, nodes ${born.get(t)}–${dies(t)})`).join('; '));
const every = Math.ceil(curve.length / 40);
console.log('curve (node: MiB):', curve.filter((_, i) => i % every === 0).map((v, k) => `${k * every}: ${(v / MiB).toFixed(0)}`).join(', '));
