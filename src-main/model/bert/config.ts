/**
 * config.json of a Hugging Face BERT: what this app can run (post-norm BERT with absolute
 * positions and exact GELU, any size — MiniLM-style checkpoints are just smaller configs)
 * and a clear error naming anything else.
 */
import { z } from 'zod';
import { BertImportError } from './errors.js';

/** The canonical hyper-parameters stored in the base manifest. */
export interface BertConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
}

const size = (max: number) => z.number().int().min(1).max(max);

const HfBertConfig = z.object({
  model_type: z.string().optional(),
  vocab_size: size(1_000_000),
  hidden_size: size(16_384),
  num_hidden_layers: size(256),
  num_attention_heads: size(1024),
  intermediate_size: size(65_536),
  max_position_embeddings: size(65_536),
  type_vocab_size: size(64),
  layer_norm_eps: z.number().positive().max(1).default(1e-12),
  hidden_act: z.string().default('gelu'),
  position_embedding_type: z.string().default('absolute'),
  is_decoder: z.boolean().default(false),
  add_cross_attention: z.boolean().default(false),
});

/** hidden_act values that are the exact (erf) GELU in transformers. */
const EXACT_GELU = new Set(['gelu', 'gelu_python']);

export function parseBertConfig(text: string, file = 'config.json'): BertConfig {
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) { throw new BertImportError(`${file}: not valid JSON (${(e as Error).message})`); }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BertImportError(`${file}: not a JSON object`);
  const modelType = (json as { model_type?: unknown }).model_type;
  if (modelType !== 'bert') {
    throw new BertImportError(`${file}: model_type ${JSON.stringify(modelType ?? null)} is not supported (supported: "bert")`);
  }
  const parsed = HfBertConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BertImportError(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const c = parsed.data;
  const unsupported = (what: string) => { throw new BertImportError(`${file}: ${what} is not supported`); };
  if (c.position_embedding_type !== 'absolute') unsupported(`position_embedding_type "${c.position_embedding_type}" (only "absolute")`);
  if (!EXACT_GELU.has(c.hidden_act)) unsupported(`hidden_act "${c.hidden_act}" (only the exact GELU, "gelu")`);
  if (c.is_decoder) unsupported('is_decoder: true (a decoder BERT)');
  if (c.add_cross_attention) unsupported('add_cross_attention: true');
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new BertImportError(`${file}: hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  }
  return {
    vocabSize: c.vocab_size, hidden: c.hidden_size, layers: c.num_hidden_layers, heads: c.num_attention_heads,
    intermediate: c.intermediate_size, maxPositions: c.max_position_embeddings, typeVocabSize: c.type_vocab_size,
    layerNormEps: c.layer_norm_eps,
  };
}
