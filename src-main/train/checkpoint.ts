/**
 * Run checkpoints under `<home>/runs/<run-id>/`: each checkpoint is a directory
 * `ckpt-<step>` (meta.json + tensors.bin + checksums.json, written with writeDirAtomic) and
 * `latest.json` names the newest (replaced with writeFileAtomic), so a crash at any moment
 * leaves the previous checkpoint intact. A new checkpoint is read back and verified before
 * latest.json moves to it, and the one before it is kept: on load, a checkpoint that does
 * not verify (a file torn or zero-filled by a power loss) is reported and the newest intact
 * one is used instead. Older checkpoints are removed.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DamagedError, readVerified, sweepTemps, verifyDir, writeChunks, writeDirAtomic, writeFileAtomic } from '../durable/atomic.js';
import { acquireLock, type Lock } from '../durable/lock.js';

/** float32, or float16 (binary16 bits) for Adam moments stored so (adamw.ts). */
export interface CheckpointTensor { dims: number[]; data: Float32Array | Uint16Array }

export interface Checkpoint<M> {
  meta: M;
  tensors: Map<string, CheckpointTensor>;
}

/** A checkpoint that did not verify on load (the next intact one was used). */
export interface DamagedCheckpoint { checkpoint: string; error: string }

export const runsDir = (home: string) => join(home, 'runs');
export const runDir = (home: string, runId: string) => join(runsDir(home), runId);
/** Run ids name directories: letters, digits, '.', '_' and '-', not starting with '.'. */
export const isRunId = (id: string) => /^[A-Za-z0-9._-]{1,100}$/.test(id) && !id.startsWith('.');

/** One process at a time trains, resumes or explores a run (the app, `taskpack train`, `taskpack explore`). */
export const lockRun = (dir: string): Lock => acquireLock(join(dir, '.lock'), `run ${dir}`, 2000);

/** `dtype` only for float16 tensors: checkpoints written before it are float32 throughout. */
interface Layout { name: string; dims: number[]; offset: number; length: number; dtype?: 'float16' }

/** `ckpt-<step>` and, where that step was checkpointed again, `ckpt-<step>-<k>`. */
const NAME = /^ckpt-(\d{9})(?:-(\d+))?$/;
const order = (n: string) => { const m = NAME.exec(n)!; return Number(m[1]) * 1e6 + Number(m[2] ?? 0); };

/** The checkpoint directories, oldest first. */
const checkpointNames = (dir: string) => readdirSync(dir).filter((n) => NAME.test(n)).sort((a, b) => order(a) - order(b));

/** The checkpoint latest.json names (undefined where it is missing or unreadable). */
function latestName(dir: string): string | undefined {
  try {
    const { checkpoint } = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as { checkpoint?: unknown };
    return typeof checkpoint === 'string' && NAME.test(checkpoint) ? checkpoint : undefined;
  } catch {
    return undefined;
  }
}

export function saveCheckpoint<M>(dir: string, step: number, ck: Checkpoint<M>): string {
  sweepTemps(dir); // what a killed writer left
  const previous = existsSync(dir) ? latestName(dir) : undefined;
  const stem = `ckpt-${String(step).padStart(9, '0')}`;
  let name = stem;
  for (let k = 1; existsSync(join(dir, name)); k++) name = `${stem}-${k}`; // never replace one that may be the one kept
  const target = join(dir, name);
  let bytes = 0;
  const layout: Layout[] = [];
  for (const [n, t] of ck.tensors) {
    layout.push({ name: n, dims: t.dims, offset: bytes, length: t.data.length, ...(t.data instanceof Uint16Array ? { dtype: 'float16' as const } : {}) });
    bytes += t.data.byteLength;
  }
  writeDirAtomic(target, (tmp) => {
    writeChunks(join(tmp, 'tensors.bin'), [...ck.tensors.values()].map((t) => t.data));
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify({ meta: ck.meta, layout }));
  });
  verifyDir(target);
  writeFileAtomic(join(dir, 'latest.json'), JSON.stringify({ checkpoint: name }));
  for (const old of checkpointNames(dir)) if (old !== name && old !== previous) rmSync(join(dir, old), { recursive: true, force: true });
  return target;
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'latest.json'));
}

/** After a failed run: refused data, or a run that died before its first checkpoint, leaves nothing behind. */
export function discardRunWithoutCheckpoint(dir: string): void {
  if (!hasCheckpoint(dir)) rmSync(dir, { recursive: true, force: true });
}

function readCheckpoint<M>(at: string): Checkpoint<M> {
  let parsed: { meta: M; layout: Layout[] };
  try {
    parsed = JSON.parse(readVerified(at, 'meta.json').toString('utf8')) as typeof parsed;
  } catch (e) {
    throw e instanceof SyntaxError ? new DamagedError(`${join(at, 'meta.json')} is unreadable`) : e;
  }
  const blob = readVerified(at, 'tensors.bin');
  const tensors = new Map<string, CheckpointTensor>();
  for (const l of parsed.layout) {
    const data = l.dtype === 'float16' ? new Uint16Array(l.length) : new Float32Array(l.length);
    if (l.offset + data.byteLength > blob.length) throw new DamagedError(`checkpoint ${at} is truncated at '${l.name}'`);
    new Uint8Array(data.buffer).set(blob.subarray(l.offset, l.offset + data.byteLength));
    tensors.set(l.name, { dims: l.dims, data });
  }
  return { meta: parsed.meta, tensors };
}

/**
 * The newest intact checkpoint: the one latest.json names, else (reported to `onDamaged`)
 * the newest other one that verifies. Throws when none does.
 */
export function loadCheckpoint<M>(dir: string, onDamaged: (d: DamagedCheckpoint) => void = () => {}): Checkpoint<M> {
  if (!hasCheckpoint(dir)) throw new Error(`no checkpoint in ${dir}`);
  const named = latestName(dir);
  if (!named) onDamaged({ checkpoint: 'latest.json', error: `${join(dir, 'latest.json')} is unreadable` });
  const candidates = [...(named ? [named] : []), ...checkpointNames(dir).reverse().filter((n) => n !== named)];
  const errors: string[] = [];
  for (const name of candidates) {
    try {
      return readCheckpoint<M>(join(dir, name));
    } catch (e) {
      const error = (e as Error).message;
      errors.push(error);
      onDamaged({ checkpoint: name, error });
    }
  }
  throw new DamagedError(`no intact checkpoint in ${dir}${errors.length ? `: ${errors.join('; ')}` : ''}`);
}
