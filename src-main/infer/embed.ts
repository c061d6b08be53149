/**
 * Sentence embeddings of many texts with any base: one graph with symbolic batch and
 * sequence dims, compiled once per base; texts sorted by length into buckets so each batch
 * pads to a similar length; the base weights fed as inputs (zero-copy on the CPU).
 */
import { lengthBuckets } from '../data/batching.js';
import * as g from '../graph/index.js';
import type { BaseModel, TaskSpec } from '../model/base.js';
import { paramInputs, weightFeeds } from '../model/param-inputs.js';
import { encodeModel } from '../onnx/writer.js';
import { openSession, type HostSession, type HostTensor, type ProviderName } from '../runtime/index.js';
import { Rng } from '../util/rng.js';

/** embed() takes single texts; the task only selects the input set. */
const SINGLE: TaskSpec = { type: 'regression', outputs: 1, pair: false };
export const EMBEDDING_OUTPUT = 'embedding';

/** The ONNX model computing [batch, embeddingDim] from the base's token inputs and weights. */
export function embeddingModel(base: BaseModel): Uint8Array {
  const inputs = base.inputs(SINGLE);
  const params = paramInputs(base.weights);
  const out = base.embed(params.p, inputs);
  const graph = g.lower({ [EMBEDDING_OUTPUT]: out }, { inputs: [...Object.values(inputs), ...params.created()], name: `${base.id}-embed` });
  return encodeModel(graph).bytes;
}

export interface EmbedderOptions {
  provider?: ProviderName;
  /** Texts per run (default 64). */
  batchSize?: number;
  intraOpThreads?: number;
  /** Run on the requested provider or fail: no whole-session or per-node CPU fallback. */
  strictProvider?: boolean;
}

export class Embedder {
  private readonly weights: Record<string, HostTensor>;

  private constructor(readonly base: BaseModel, private readonly session: HostSession, readonly batchSize: number) {
    this.weights = weightFeeds(base.weights);
  }

  /** Compile the base's embedding graph and open it on the provider (CPU fallback reported in `session`). */
  static async open(base: BaseModel, opts: EmbedderOptions = {}): Promise<Embedder> {
    const session = await openSession(embeddingModel(base), {
      provider: opts.provider ?? 'cpu',
      ...(opts.intraOpThreads !== undefined ? { intraOpThreads: opts.intraOpThreads } : {}),
      ...(opts.strictProvider ? { disableCpuFallback: true, fallbackToCpu: false } : {}),
    });
    return new Embedder(base, session, opts.batchSize ?? 64);
  }

  get provider(): ProviderName {
    return this.session.provider;
  }

  get fallbackReason(): string | undefined {
    return this.session.fallbackReason;
  }

  /** One embedding per text, in the order given. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out = new Array<Float32Array>(texts.length);
    const dim = this.base.embeddingDim;
    // One sorting pool over all texts: batches of similar length (character length stands in
    // for token count: cheap, and close enough to cut padding); order is restored below.
    const lengths = texts.map((t) => t.length);
    for (const bucket of lengthBuckets(lengths, this.batchSize, new Rng(1), Number.POSITIVE_INFINITY)) {
      const feeds = { ...this.base.encode(bucket.map((i) => ({ text: texts[i] })), SINGLE), ...this.weights };
      const result = (await this.session.run(feeds, [EMBEDDING_OUTPUT]))[EMBEDDING_OUTPUT].data as Float32Array;
      bucket.forEach((i, row) => (out[i] = result.slice(row * dim, (row + 1) * dim)));
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
