/**
 * BERT's WordPiece tokenisation through @huggingface/tokenizers: loaded from a folder's
 * tokenizer.json, or built from vocab.txt (+ tokenizer_config.json) in the form
 * transformers' converter writes (BertNormalizer, BertPreTokenizer, WordPiece '##',
 * [CLS] A [SEP] B [SEP] template). The library tokenises each text; the template,
 * longest-first truncation (the Rust tokenizers' rule) and padding are done here, since
 * the library has neither truncation nor batching.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { BertImportError } from './errors.js';

export interface WordPieceOptions {
  lowercase: boolean;
  /** null: strip accents when lower-casing (transformers' default). */
  stripAccents: boolean | null;
  chineseChars: boolean;
  unk: string; cls: string; sep: string; pad: string; mask: string;
}

export const DEFAULT_WORDPIECE: WordPieceOptions = {
  lowercase: true, stripAccents: null, chineseChars: true,
  unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', mask: '[MASK]',
};

/** vocab.txt as transformers reads it: one token per line, the line number is its id. */
export function parseVocabTxt(text: string, file = 'vocab.txt'): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new BertImportError(`${file}: empty vocabulary`);
  const seen = new Map<string, number>();
  lines.forEach((t, i) => {
    if (seen.has(t)) throw new BertImportError(`${file}: token ${JSON.stringify(t)} appears on lines ${seen.get(t)! + 1} and ${i + 1}`);
    seen.set(t, i);
  });
  return lines;
}

/** tokenizer_config.json's options (missing file or keys: BertTokenizer's defaults). */
export function wordPieceOptions(tokenizerConfigText: string | undefined, file = 'tokenizer_config.json'): WordPieceOptions {
  if (tokenizerConfigText === undefined) return DEFAULT_WORDPIECE;
  let c: Record<string, unknown>;
  try { c = JSON.parse(tokenizerConfigText); } catch (e) { throw new BertImportError(`${file}: not valid JSON (${(e as Error).message})`); }
  const bool = (k: string, d: boolean) => {
    if (c[k] === undefined) return d;
    if (typeof c[k] !== 'boolean') throw new BertImportError(`${file}: ${k} must be true or false`);
    return c[k] as boolean;
  };
  const token = (k: string, d: string) => {
    const v = c[k];
    if (v === undefined || v === null) return d;
    const s = typeof v === 'string' ? v : (v as { content?: unknown }).content;
    if (typeof s !== 'string') throw new BertImportError(`${file}: ${k} must be a token string`);
    return s;
  };
  return {
    lowercase: bool('do_lower_case', true),
    stripAccents: c.strip_accents === undefined || c.strip_accents === null ? null : bool('strip_accents', false),
    chineseChars: bool('tokenize_chinese_chars', true),
    unk: token('unk_token', '[UNK]'), cls: token('cls_token', '[CLS]'), sep: token('sep_token', '[SEP]'),
    pad: token('pad_token', '[PAD]'), mask: token('mask_token', '[MASK]'),
  };
}

/** The tokenizer.json transformers writes for a BertTokenizerFast over this vocabulary. */
export function tokenizerJsonFromVocab(tokens: readonly string[], o: WordPieceOptions = DEFAULT_WORDPIECE, file = 'vocab.txt'): string {
  const id = (t: string) => {
    const i = tokens.indexOf(t);
    if (i < 0) throw new BertImportError(`${file}: the special token ${t} is not in the vocabulary`);
    return i;
  };
  const [cls, sep] = [id(o.cls), id(o.sep)];
  id(o.unk);
  const special = [o.pad, o.unk, o.cls, o.sep, o.mask].filter((t) => tokens.includes(t));
  const seq = (s: 'A' | 'B', type: number) => ({ Sequence: { id: s, type_id: type } });
  const tok = (t: string, type: number) => ({ SpecialToken: { id: t, type_id: type } });
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((t) => ({ id: tokens.indexOf(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: o.chineseChars, strip_accents: o.stripAccents, lowercase: o.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [tok(o.cls, 0), seq('A', 0), tok(o.sep, 0)],
      pair: [tok(o.cls, 0), seq('A', 0), tok(o.sep, 0), seq('B', 1), tok(o.sep, 1)],
      special_tokens: { [o.cls]: { id: o.cls, ids: [cls], tokens: [o.cls] }, [o.sep]: { id: o.sep, ids: [sep], tokens: [o.sep] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: o.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(tokens.map((t, i) => [t, i])) },
  });
}

/**
 * Lengths after longest-first truncation of a pair to `budget` tokens, as the Rust
 * tokenizers compute them: only the longer text is cut while the shorter fits; when both
 * must be cut they share the budget, the longer (or, at a tie, the second) taking the odd one.
 */
export function longestFirst(na: number, nb: number, budget: number): [number, number] {
  if (na + nb <= budget) return [na, nb];
  const swap = na > nb;
  let [n1, n2] = swap ? [nb, na] : [na, nb];
  n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  const [ka, kb] = swap ? [n2, n1] : [n1, n2];
  return [Math.min(na, ka), Math.min(nb, kb)];
}

export interface EncodedBatch {
  batch: number;
  seq: number;
  ids: Int32Array;
  typeIds: Int32Array;
  /** 1 for tokens, 0 for padding. */
  mask: Float32Array;
}

/** Special-token ids of the BERT template, read from the post_processor. */
function templateIds(json: Record<string, any>, file: string): { cls: number; sep: number } {
  const pp = json.post_processor;
  const bad = (why: string): never => { throw new BertImportError(`${file}: post_processor ${why}; expected BERT's [CLS] A [SEP] B [SEP] template`); };
  if (!pp || typeof pp !== 'object') return bad('is missing');
  if (pp.type === 'BertProcessing') {
    const ok = (x: unknown): x is [string, number] => Array.isArray(x) && typeof x[0] === 'string' && Number.isInteger(x[1]);
    if (!ok(pp.cls) || !ok(pp.sep)) return bad('has malformed cls/sep');
    return { cls: pp.cls[1], sep: pp.sep[1] };
  }
  if (pp.type !== 'TemplateProcessing') return bad(`of type ${JSON.stringify(pp.type)}`);
  const shape = (items: any[]) => (Array.isArray(items) ? items.map((i) => (i.SpecialToken ? `S:${i.SpecialToken.id}:${i.SpecialToken.type_id}` : i.Sequence ? `${i.Sequence.id}:${i.Sequence.type_id}` : '?')).join(' ') : '');
  const single = shape(pp.single).split(' '), pair = shape(pp.pair).split(' ');
  const [c, s] = [single[0]?.split(':')[1], single[2]?.split(':')[1]];
  if (single.join(' ') !== `S:${c}:0 A:0 S:${s}:0` || pair.join(' ') !== `S:${c}:0 A:0 S:${s}:0 B:1 S:${s}:1`) return bad(`'${shape(pp.pair)}'`);
  const idOf = (t: string) => {
    const ids = pp.special_tokens?.[t]?.ids;
    if (!Array.isArray(ids) || ids.length !== 1 || !Number.isInteger(ids[0])) return bad(`has no single id for ${t}`);
    return ids[0] as number;
  };
  return { cls: idOf(c), sep: idOf(s) };
}

/** BERT's CJK blocks beyond the BMP (the BMP ones the library handles). */
const ASTRAL_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;

export class BertTokenizer {
  /** Ids of [CLS], [SEP] and the padding token. */
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;
  /** One more than the largest id the tokenizer can emit. */
  readonly idLimit: number;
  private readonly tok: Tokenizer;
  /** BertNormalizer steps the library gets wrong, done here before it runs (see prepare). */
  private readonly fixCjk: boolean;
  private readonly fixUnassigned: boolean;

  constructor(readonly json: string, file = 'tokenizer.json') {
    let parsed: Record<string, any>;
    try { parsed = JSON.parse(json); } catch (e) { throw new BertImportError(`${file}: not valid JSON (${(e as Error).message})`); }
    const model = parsed?.model;
    if (!model || model.type !== 'WordPiece') throw new BertImportError(`${file}: model type ${JSON.stringify(model?.type ?? null)} is not supported for BERT (expected WordPiece)`);
    if (typeof model.vocab !== 'object' || model.vocab === null) throw new BertImportError(`${file}: WordPiece model without a vocab`);
    const ids = [...Object.values(model.vocab as Record<string, unknown>), ...((parsed.added_tokens ?? []) as { id: unknown }[]).map((t) => t.id)];
    if (!ids.every((i) => Number.isInteger(i) && (i as number) >= 0)) throw new BertImportError(`${file}: token ids must be non-negative integers`);
    if (!(model.unk_token in model.vocab)) throw new BertImportError(`${file}: unk_token ${JSON.stringify(model.unk_token)} is not in the vocabulary`);
    this.idLimit = (ids as number[]).reduce((m, i) => Math.max(m, i), -1) + 1;
    ({ cls: this.cls, sep: this.sep } = templateIds(parsed, file));
    try {
      this.tok = new Tokenizer(parsed, {});
    } catch (e) {
      throw new BertImportError(`${file}: @huggingface/tokenizers cannot load it (${(e as Error).message})`);
    }
    const norm = parsed.normalizer;
    this.fixCjk = norm?.type === 'BertNormalizer' && norm.handle_chinese_chars !== false;
    this.fixUnassigned = norm?.type === 'BertNormalizer' && norm.clean_text !== false;
    this.pad = Number.isInteger(parsed.padding?.pad_id) ? parsed.padding.pad_id : this.tok.token_to_id('[PAD]') ?? 0;
    for (const [what, id] of [['cls', this.cls], ['sep', this.sep], ['pad', this.pad]] as const) {
      if (id >= this.idLimit) throw new BertImportError(`${file}: ${what} id ${id} is outside the vocabulary`);
    }
  }

  /**
   * The library's BertNormalizer walks UTF-16 units, so it misses CJK ideographs outside
   * the BMP (Extension B and later), and its control-character test omits unassigned
   * code points (Cn), which BERT drops. Both steps commute with the rest of the
   * normaliser, so doing them first gives BERT's result.
   */
  private prepare(text: string): string {
    if (this.fixUnassigned) text = text.replace(/\p{Cn}/gu, '');
    if (this.fixCjk) text = text.replace(ASTRAL_CJK, ' $& ');
    return text;
  }

  /** WordPiece ids of one text, without special tokens. */
  tokenize(text: string): number[] {
    return this.tok.encode(this.prepare(text), { add_special_tokens: false }).ids;
  }

  /** [CLS] a [SEP] (b [SEP]) with token types, truncated longest-first to maxLength. */
  encodeRow(text: string, pair: string | undefined, maxLength: number): { ids: number[]; typeIds: number[] } {
    const a = this.tokenize(text);
    if (pair === undefined) {
      if (maxLength < 2) throw new RangeError(`maxLength ${maxLength} leaves no room for [CLS] and [SEP]`);
      const ids = [this.cls, ...a.slice(0, maxLength - 2), this.sep];
      return { ids, typeIds: ids.map(() => 0) };
    }
    if (maxLength < 3) throw new RangeError(`maxLength ${maxLength} leaves no room for [CLS] and two [SEP]`);
    const b = this.tokenize(pair);
    const [na, nb] = longestFirst(a.length, b.length, maxLength - 3);
    const first = [this.cls, ...a.slice(0, na), this.sep];
    const second = [...b.slice(0, nb), this.sep];
    return { ids: [...first, ...second], typeIds: [...first.map(() => 0), ...second.map(() => 1)] };
  }

  /** Rows padded to the longest one (type 0, mask 0 on padding). */
  encodeBatch(rows: readonly { text: string; pair?: string }[], pair: boolean, maxLength: number): EncodedBatch {
    const enc = rows.map((r, i) => {
      if (pair && typeof r.pair !== 'string') throw new TypeError(`row ${i}: a text-pair task needs a pair text`);
      return this.encodeRow(r.text, pair ? r.pair : undefined, maxLength);
    });
    const batch = rows.length;
    const seq = Math.max(1, ...enc.map((e) => e.ids.length));
    const ids = new Int32Array(batch * seq).fill(this.pad);
    const typeIds = new Int32Array(batch * seq);
    const mask = new Float32Array(batch * seq);
    enc.forEach((e, b) => {
      ids.set(e.ids, b * seq);
      typeIds.set(e.typeIds, b * seq);
      mask.fill(1, b * seq, b * seq + e.ids.length);
    });
    return { batch, seq, ids, typeIds, mask };
  }
}
