/** `taskpack embed --text T [--base ID]`: a base model's sentence embedding. */
import { Embedder } from '../../infer/embed.js';
import { defaultBaseId, loadBase } from '../../model/registry.js';
import type { ProviderName } from '../../runtime/index.js';
import { UsageError, type CommandSpec } from '../command.js';

const PROVIDERS: readonly ProviderName[] = ['cpu', 'webgpu'];

export const embedCommand: CommandSpec = {
  name: 'embed',
  summary: "the base model's sentence embedding of a text",
  synopsis: '--text T [--base ID] [--provider cpu|webgpu]',
  options: { text: { type: 'string' }, base: { type: 'string' }, provider: { type: 'string' } },
  async run(ctx, values) {
    const text = values.text;
    if (typeof text !== 'string') throw new UsageError('--text is required');
    const provider = (values.provider ?? 'cpu') as ProviderName;
    if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
    const id = typeof values.base === 'string' ? values.base : defaultBaseId();
    const base = loadBase(ctx.home, id, ctx.log);
    const embedder = await Embedder.open(base, { provider });
    try {
      if (embedder.fallbackReason) ctx.log(`embed: ${provider} unavailable, running on the CPU (${embedder.fallbackReason})`);
      const [embedding] = await embedder.embed([text]);
      ctx.log(`embed: base ${base.id}, ${base.embeddingDim} dims, provider ${embedder.provider}`);
      const vector = Array.from(embedding);
      const preview = vector.slice(0, 6).map((v) => v.toFixed(5)).join(', ');
      return { value: { embedding: vector }, human: `[${preview}, …] (${vector.length} dims, base ${base.id})` };
    } finally {
      await embedder.dispose();
    }
  },
};
