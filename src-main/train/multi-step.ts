/**
 * K consecutive training steps as one graph. onnxruntime-node hands every output back in a
 * fresh buffer, so a step that returns the whole training state (parameters and both Adam
 * moments) pays for copying it and for the garbage collections the copies cause; K steps
 * per run pay that once. Substep j > 0 is a copy of the step (graph/clone.ts) whose state
 * inputs are substep j − 1's next state, whose step number is step + j, and whose batch,
 * noise and learning rates are inputs of its own, named `<name>@<j>`; the tensors fixed
 * for the phase (frozen weights, masks) are shared. The scalars come out as `<name>@<j>`;
 * the state outputs and their binding are the single step's.
 */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';
import { cloneGraph, renameDim } from '../graph/clone.js';
import { nextName, type StepGraph } from './step-graph.js';

export const substepName = (name: string, j: number) => (j === 0 ? name : `${name}@${j}`);

/** Steps per run on the CPU: 4 took a diff-structured step on the shipped base from 288 to 205 ms (docs/benchmarks.md). */
export const STEPS_PER_RUN = 4;
/** The most gate noise a run holds (one set per step): beyond it a step is long enough that the copy saved hardly counts. */
const RUN_NOISE_BYTES = 256 * 2 ** 20;

/**
 * How many steps one run takes: STEPS_PER_RUN on the CPU, unless that many sets of the step's
 * gate noise would pass RUN_NOISE_BYTES (a BERT-base diff step draws 172 MB of it, float16, for its 86 M
 * gated weights outside the token table, and its ~2.7 TFLOP at batch 32 × 128 dwarf the copy);
 * 1 on a GPU, which keeps the state resident and so copies nothing per step.
 */
export function stepsPerRun(provider: string, noiseBytesPerStep: number): number {
  if (provider !== 'cpu') return 1;
  return noiseBytesPerStep * STEPS_PER_RUN <= RUN_NOISE_BYTES ? STEPS_PER_RUN : 1;
}

/** Bases above this size step without ONNX Runtime's CPU arena. */
const ARENA_MAX_BASE_BYTES = 64 * 2 ** 20;

/**
 * Whether a CPU step session keeps ONNX Runtime's memory arena: yes for small bases, where
 * reusing its blocks saves the page faults of fresh allocations each step (a noticeable share
 * of a 0.2 s step); no for large ones, where the arena's high-water mark of intermediates,
 * grown in doubling chunks and kept for the session's life, is gigabytes and the faults are
 * a small share of a step of tens of seconds (docs/benchmarks.md).
 */
export const cpuArena = (baseBytes: number): boolean => baseBytes <= ARENA_MAX_BASE_BYTES;

/** cpuArena for a loaded base's weights. */
export const cpuArenaFor = (weights: Iterable<{ data: Float32Array }>): boolean => cpuArena([...weights].reduce((a, t) => a + t.data.byteLength, 0));

export function multiStepGraph(step: StepGraph, k: number, isFixed: (input: string) => boolean): StepGraph {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`multiStepGraph: k must be a positive integer, got ${k}`);
  const stateInputs = new Set(Object.values(step.stateBinding));
  const names = Object.keys(step.outputs);
  const outputs: Record<string, Tensor> = {};
  const inputs = [...step.inputs];
  let current = step.outputs;
  for (const s of step.scalars) outputs[`${s}@0`] = current[s];
  for (let j = 1; j < k; j++) {
    const prev = current;
    const rename = (symbol: string) => substepName(symbol, j);
    const replace = (input: Tensor): Tensor => {
      const name = input.name!;
      if (stateInputs.has(name)) return prev[nextName(name)];
      if (name === 'step') return g.add(input, j);
      if (isFixed(name)) return input;
      const own = g.input(substepName(name, j), input.dtype, input.shape.map((d) => renameDim(d, rename)));
      inputs.push(own);
      return own;
    };
    const copies = cloneGraph(names.map((n) => step.outputs[n]), replace, rename);
    current = Object.fromEntries(names.map((n, i) => [n, copies[i]]));
    for (const s of step.scalars) outputs[`${s}@${j}`] = current[s];
  }
  for (const o of Object.keys(step.stateBinding)) outputs[o] = current[o];
  return { outputs, inputs, stateBinding: step.stateBinding, scalars: step.scalars.flatMap((s) => Array.from({ length: k }, (_, j) => `${s}@${j}`)) };
}
