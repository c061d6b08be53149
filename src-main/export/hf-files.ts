/**
 * The JSON and text files beside an exported model, as Hugging Face tools expect them:
 * config.json (with the task's id2label / label2id) and the tokenizer files (tokenizer.json
 * as the base stores it; for BERT also vocab.txt, tokenizer_config.json and
 * special_tokens_map.json, so the slow BertTokenizer loads the folder too).
 */
import type { Architecture, TaskSpec } from '../model/base.js';
import type { BertConfig } from '../model/bert/config.js';

export interface TaskLabels {
  task: TaskSpec;
  /** Class names (empty for regression). */
  labels: readonly string[];
}

type Json = Record<string, unknown>;

function labelMaps({ task, labels }: TaskLabels): Json {
  const names = task.type === 'regression' ? ['LABEL_0'] : labels;
  return {
    id2label: Object.fromEntries(names.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(names.map((l, i) => [l, i])),
    problem_type: task.type === 'regression' ? 'regression' : 'single_label_classification',
  };
}

/** config.json of a BertForSequenceClassification with this base's sizes and the task's labels. */
export function bertConfigJson(c: BertConfig, t: TaskLabels, padTokenId: number): Json {
  return {
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: c.vocabSize, hidden_size: c.hidden, num_hidden_layers: c.layers, num_attention_heads: c.heads,
    intermediate_size: c.intermediate, max_position_embeddings: c.maxPositions, type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps, hidden_act: 'gelu', position_embedding_type: 'absolute',
    hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, classifier_dropout: null, initializer_range: 0.02,
    pad_token_id: padTokenId, torch_dtype: 'float32',
    ...labelMaps(t),
  };
}

/** config.json for a base Hugging Face has no class for (USE-lite): its sizes and the task's labels, for the reader. */
export const otherConfigJson = (architecture: Architecture, config: unknown, t: TaskLabels): Json =>
  ({ model_type: architecture, taskpack_config: config, ...labelMaps(t) });

/** The tokenizer files: name → text. */
export function tokenizerFiles(architecture: Architecture, tokenizerJson: string, maxLength: number): Map<string, string> {
  const files = new Map([['tokenizer.json', tokenizerJson]]);
  if (architecture !== 'bert') {
    files.set('tokenizer_config.json', pretty({ tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: maxLength }));
    return files;
  }
  const json = JSON.parse(tokenizerJson) as { model: { vocab: Record<string, number>; unk_token: string }; normalizer?: Json; added_tokens?: { id: number; content: string }[]; post_processor?: Json };
  const tokens: string[] = [];
  for (const [t, id] of Object.entries(json.model.vocab)) tokens[id] = t;
  for (const a of json.added_tokens ?? []) tokens[a.id] ??= a.content;
  const special = bertSpecialTokens(json, tokens);
  // vocab.txt needs every id from 0 up; a vocabulary with holes is carried by tokenizer.json alone.
  if (tokens.length > 0 && tokens.every((t) => t !== undefined)) files.set('vocab.txt', `${tokens.join('\n')}\n`);
  const norm = json.normalizer?.type === 'BertNormalizer' ? json.normalizer : {};
  files.set('tokenizer_config.json', pretty({
    tokenizer_class: 'BertTokenizer', do_lower_case: norm.lowercase ?? true, strip_accents: norm.strip_accents ?? null,
    tokenize_chinese_chars: norm.handle_chinese_chars ?? true, model_max_length: maxLength, ...special,
  }));
  files.set('special_tokens_map.json', pretty(special));
  return files;
}

/** [CLS]/[SEP] from the template, the rest by their conventional names where present. */
function bertSpecialTokens(json: { model: { vocab: Record<string, number>; unk_token: string }; post_processor?: Json }, tokens: string[]): Record<string, string> {
  const pp = json.post_processor as { type?: string; cls?: [string, number]; sep?: [string, number]; single?: { SpecialToken?: { id: string } }[] } | undefined;
  const [cls, sep] = pp?.type === 'BertProcessing' ? [pp.cls?.[0], pp.sep?.[0]] : [pp?.single?.[0]?.SpecialToken?.id, pp?.single?.[2]?.SpecialToken?.id];
  const has = (t: string) => tokens.includes(t);
  return Object.fromEntries(Object.entries({
    unk_token: json.model.unk_token, sep_token: sep ?? '[SEP]', pad_token: '[PAD]', cls_token: cls ?? '[CLS]', mask_token: '[MASK]',
  }).filter(([, t]) => has(t)));
}

export const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
