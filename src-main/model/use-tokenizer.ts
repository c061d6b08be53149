/**
 * USE-lite's SentencePiece (Unigram) tokenizer, stored as a Hugging Face tokenizer.json and
 * run by a faithful port of the reference `Tokenizer` of
 * @tensorflow-models/universal-sentence-encoder (the tokenizer the model was published with).
 *
 * Why not @huggingface/tokenizers' Unigram (tried first; 42 of 32,926 real texts got other
 * ids): (1) on exactly tied paths ("mm"+"m" vs "m"+"mm") the reference keeps the candidate
 * with the shortest last piece, the library the longest; (2) the reference treats a best
 * score of exactly 0 as "unset", and 7 pieces score 0 (null in vocab.json: ':00', '▁:', …),
 * so '▁'+':' beats '▁:'; (3) the library prepends '▁' to empty text and scores unknown
 * characters min−10 instead of 0. None of these can be expressed in tokenizer.json.
 * The file stays a valid HF Unigram tokenizer (other tools load it and agree on almost all
 * text); this module gives the reference ids exactly.
 */

const SEPARATOR = '\u2581';
/** The reference never matches its first 6 pieces (unk, <s>, </s>, extra_token_id_1..3) from text. */
export const USE_RESERVED_PIECES = 6;

export type UseVocab = readonly (readonly [string, number | null])[];

/** tokenizer.json for a USE vocab: NFKC, '▁' prepended to non-empty text, ' ' → '▁', Unigram. */
export function useTokenizerJson(vocab: UseVocab): string {
  if (vocab.length <= USE_RESERVED_PIECES) throw new Error(`vocab.json: ${vocab.length} pieces, expected more than ${USE_RESERVED_PIECES}`);
  vocab.forEach((e, i) => {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || (e[1] !== null && typeof e[1] !== 'number')) {
      throw new Error(`vocab.json: entry ${i} is not a [piece, score] pair`);
    }
  });
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    // Control symbols: never matched from text (the library splits them out as specials).
    added_tokens: vocab.slice(1, USE_RESERVED_PIECES).map(([content], i) => ({
      id: i + 1, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Prepend', prepend: SEPARATOR }, { type: 'Replace', pattern: { String: ' ' }, content: SEPARATOR }],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: SEPARATOR, prepend_scheme: 'always', split: false },
    // null scores (user-defined pieces) act as 0 in the reference's arithmetic.
    model: { type: 'Unigram', unk_id: 0, vocab: vocab.map(([p, s]) => [p, s ?? 0]), byte_fallback: false },
  });
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Piece id ending here, or -1. */
  id: number;
}

interface Piece {
  id: number;
  score: number;
  /** Length in code points. */
  length: number;
}

export class UseTokenizer {
  private readonly root: TrieNode = { children: new Map(), id: -1 };
  private readonly pieces: Piece[];
  readonly unkId: number;

  private constructor(vocab: readonly (readonly [string, number])[], unkId: number, skip: ReadonlySet<number>) {
    this.unkId = unkId;
    this.pieces = vocab.map(([p, score], id) => ({ id, score, length: [...p].length }));
    vocab.forEach(([piece], id) => {
      if (skip.has(id) || id === unkId) return;
      let node = this.root;
      for (const ch of piece) {
        let next = node.children.get(ch);
        if (!next) node.children.set(ch, (next = { children: new Map(), id: -1 }));
        node = next;
      }
      node.id = id; // a duplicated piece keeps its last id, as in the reference trie
    });
  }

  /** From the tokenizer.json written by useTokenizerJson. */
  static fromJson(text: string): UseTokenizer {
    const j = JSON.parse(text) as {
      model?: { type?: string; unk_id?: number; vocab?: [string, number][] };
      normalizer?: unknown;
      added_tokens?: { id: number; special?: boolean }[];
    };
    const m = j.model;
    if (m?.type !== 'Unigram' || !Array.isArray(m.vocab) || typeof m.unk_id !== 'number') {
      throw new Error('tokenizer.json: expected a Unigram model with unk_id and vocab');
    }
    const expected = JSON.parse(useTokenizerJson(m.vocab)) as { normalizer: unknown };
    if (JSON.stringify(j.normalizer) !== JSON.stringify(expected.normalizer)) {
      throw new Error('tokenizer.json: normalizer is not the USE one (NFKC, prepend ▁, spaces → ▁)');
    }
    const skip = new Set((j.added_tokens ?? []).filter((t) => t.special).map((t) => t.id));
    return new UseTokenizer(m.vocab, m.unk_id, skip);
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  /** Token ids of one text (no truncation). */
  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const symbols = [...(SEPARATOR + normalized.replaceAll(' ', SEPARATOR))];
    const n = symbols.length;
    // Candidates ending at each position; filled with starts ascending (the reference's order).
    const ending: { start: number; id: number; score: number }[][] = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < n; i++) {
      let matched = false;
      let node = this.root.children.get(symbols[i]);
      for (let j = i; node !== undefined; node = ++j < n ? node.children.get(symbols[j]) : undefined) {
        if (node.id < 0) continue;
        ending[j + 1].push({ start: i, id: node.id, score: this.pieces[node.id].score });
        matched = true;
      }
      // No piece starts here: one unknown character, score 0 (not a penalty: the reference's choice).
      if (!matched) ending[i + 1].push({ start: i, id: this.unkId, score: 0 });
    }
    // Viterbi exactly as the reference: best 0 means "unset", ties go to the later start.
    const best = new Float64Array(n + 1);
    const words = new Int32Array(n + 1);
    const from = new Int32Array(n + 1);
    for (let end = 1; end <= n; end++) {
      for (const c of ending[end]) {
        const score = c.score + best[c.start];
        if (best[end] === 0 || score >= best[end]) {
          best[end] = score;
          words[end] = c.id;
          from[end] = c.start;
        }
      }
    }
    const ids: number[] = [];
    for (let at = n; at > 0; at = from[at]) {
      const id = words[at];
      if (!(id === this.unkId && ids.length > 0 && ids[ids.length - 1] === this.unkId)) ids.push(id);
    }
    return ids.reverse();
  }
}
