/**
 * Run checkpoints under `<home>/runs/<run-id>/`: each checkpoint is a directory
 * `ckpt-<step>` (meta.json + tensors.bin, written with writeDirAtomic) and `latest.json`
 * names the newest (replaced with writeFileAtomic), so a crash at any moment leaves the
 * previous checkpoint intact. Older checkpoint directories are removed after the switch.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeChunks, writeDirAtomic, writeFileAtomic } from '../store/atomic.js';

export interface CheckpointTensor { dims: number[]; data: Float32Array }

export interface Checkpoint<M> {
  meta: M;
  tensors: Map<string, CheckpointTensor>;
}

export const runsDir = (home: string) => join(home, 'runs');
export const runDir = (home: string, runId: string) => join(runsDir(home), runId);
/** Run ids name directories: letters, digits, '.', '_' and '-', not starting with '.'. */
export const isRunId = (id: string) => /^[A-Za-z0-9._-]{1,100}$/.test(id) && !id.startsWith('.');

interface Layout { name: string; dims: number[]; offset: number; length: number }

export function saveCheckpoint<M>(dir: string, step: number, ck: Checkpoint<M>): string {
  const name = `ckpt-${String(step).padStart(9, '0')}`;
  const target = join(dir, name);
  rmSync(target, { recursive: true, force: true }); // a checkpoint of this step left by a crash before latest.json moved
  let bytes = 0;
  const layout: Layout[] = [];
  for (const [n, t] of ck.tensors) { layout.push({ name: n, dims: t.dims, offset: bytes, length: t.data.length }); bytes += t.data.byteLength; }
  writeDirAtomic(target, (tmp) => {
    writeChunks(join(tmp, 'tensors.bin'), [...ck.tensors.values()].map((t) => t.data));
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify({ meta: ck.meta, layout }));
  });
  writeFileAtomic(join(dir, 'latest.json'), JSON.stringify({ checkpoint: name }));
  for (const old of readdirSync(dir)) if (old.startsWith('ckpt-') && old !== name) rmSync(join(dir, old), { recursive: true, force: true });
  return target;
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'latest.json'));
}

export function loadCheckpoint<M>(dir: string): Checkpoint<M> {
  if (!hasCheckpoint(dir)) throw new Error(`no checkpoint in ${dir}`);
  const { checkpoint } = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { checkpoint: string };
  const at = join(dir, checkpoint);
  const { meta, layout } = JSON.parse(readFileSync(join(at, 'meta.json'), 'utf8')) as { meta: M; layout: Layout[] };
  const blob = readFileSync(join(at, 'tensors.bin'));
  const tensors = new Map<string, CheckpointTensor>();
  for (const l of layout) {
    if (l.offset + l.length * 4 > blob.length) throw new Error(`checkpoint ${at} is truncated at '${l.name}'`);
    const data = new Float32Array(l.length);
    new Uint8Array(data.buffer).set(blob.subarray(l.offset, l.offset + l.length * 4));
    tensors.set(l.name, { dims: l.dims, data });
  }
  return { meta, tensors };
}
