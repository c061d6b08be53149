/**
 * Side-by-side timing for the step benchmarks: contenders, each in a process of its own as a
 * training run is (one step loop, one heap, its own garbage collections: contenders sharing
 * a process were measured collecting each other's garbage), stepped by the parent in
 * interleaved rounds so that drifting machine load hits all alike.
 *
 * A bench file calls serveIfChild(make) at its end and spawnContenders(file, names, arg) in
 * its run(): the children are the same file, started with CHILD_FLAG, its name and `arg`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Contender {
  /** What to time for one round (work done here, outside the closure, is not timed). */
  prepare(round: number): () => Promise<unknown>;
  dispose(): Promise<void>;
}

/** A contender built in a child, with facts about it (steps per run, sizes) for the report. */
export interface Made { contender: Contender; info: Record<string, unknown> }

export interface Timings { median: Record<string, number>; min: Record<string, number>; info: Record<string, Record<string, unknown>> }

const CHILD_FLAG = '--bench-contender';
const WARMUP = 2, ROUNDS = 20;
/** A quiet gap after each timed run: ORT's idle pool threads spin for a while after one. */
const SETTLE_MS = 100;

/** This process's glibc malloc settings (MALLOC_* environment variables), for a report. */
export function mallocSettings(): string {
  return Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_')).map(([k, v]) => `${k}=${v}`).join(' ') || 'glibc default';
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** In a child started by spawnContenders: build the contender and step it on request. */
export async function serveIfChild(moduleUrl: string, make: (name: string, arg: string) => Promise<Made>): Promise<boolean> {
  if (process.argv[2] !== CHILD_FLAG || moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return false;
  const { contender, info } = await make(process.argv[3], process.argv[4] ?? '');
  process.send!({ ready: info });
  process.on('message', async (m: { round?: number }) => {
    if (m.round === undefined) { await contender.dispose(); process.exit(0); }
    const run = contender.prepare(m.round);
    const t0 = performance.now();
    await run();
    process.send!({ ms: performance.now() - t0 });
  });
  return true;
}

interface Child { name: string; child: ChildProcess; info: Record<string, unknown>; next(): Promise<Record<string, unknown>> }

async function spawn(moduleUrl: string, name: string, arg: string, env: NodeJS.ProcessEnv): Promise<Child> {
  const child = fork(fileURLToPath(moduleUrl), [CHILD_FLAG, name, arg], { execArgv: process.execArgv, env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let pending: { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void } | undefined;
  child.on('message', (m: Record<string, unknown>) => pending?.resolve(m));
  child.on('exit', (code) => pending?.reject(new Error(`bench contender '${name}' exited with ${code}`)));
  const next = () => new Promise<Record<string, unknown>>((resolve, reject) => { pending = { resolve, reject }; });
  const info = (await next()).ready as Record<string, unknown>;
  return { name, child, info, next };
}

export interface TimingOptions {
  /** Timed rounds (default ROUNDS_TIMED). */
  rounds?: number;
  /** A contender's process environment (default: this process's). */
  envOf?: (name: string) => NodeJS.ProcessEnv;
}

/**
 * Times each named contender of `moduleUrl` over interleaved rounds: per contender the
 * median round and the fastest (interference only ever adds time, so the minimum is the
 * steadier figure on a shared machine), as the child measured them.
 */
export async function timeContenders(moduleUrl: string, names: readonly string[], arg = '', o: TimingOptions = {}): Promise<Timings> {
  const children: Child[] = [];
  try {
    for (const n of names) children.push(await spawn(moduleUrl, n, arg, o.envOf?.(n) ?? process.env));
    const times = new Map<string, number[]>(names.map((n) => [n, []]));
    for (let round = 0; round < WARMUP + (o.rounds ?? ROUNDS); round++) {
      for (const c of children) {
        c.child.send({ round });
        const { ms } = await c.next();
        if (round >= WARMUP) times.get(c.name)!.push(ms as number);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
      }
    }
    const of = (f: (xs: number[]) => number) => Object.fromEntries([...times].map(([k, v]) => [k, +f(v).toFixed(2)]));
    return { median: of(median), min: of((xs) => Math.min(...xs)), info: Object.fromEntries(children.map((c) => [c.name, c.info])) };
  } finally {
    for (const c of children) {
      if (c.child.exitCode !== null) continue;
      const exited = new Promise((r) => c.child.once('exit', r));
      c.child.send({});
      await exited;
    }
  }
}

/** Each time divided by its contender's steps per run (info.perRun, default 1). */
export function perStep(t: Timings): { median: Record<string, number>; min: Record<string, number> } {
  const per = (ms: Record<string, number>) => Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, +(v / ((t.info[k]?.perRun as number) ?? 1)).toFixed(2)]));
  return { median: per(t.median), min: per(t.min) };
}

/** Every `a / b` named `a_over_b` for the pairs given, from one statistic. */
export const ratios = (ms: Record<string, number>, pairs: readonly [string, string][]) =>
  Object.fromEntries(pairs.map(([a, b]) => [`${a}_over_${b}`, +(ms[a] / ms[b]).toFixed(2)]));

export const ROUNDS_TIMED = ROUNDS;
