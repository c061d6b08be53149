/**
 * The USE-lite tokenizer (tokenizer.json + the faithful Unigram port) gives exactly the ids
 * of the reference tokenizer of @tensorflow-models/universal-sentence-encoder, on real
 * text read from the shared data and on edge cases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { UseTokenizer, useTokenizerJson } from '../../src-main/model/use-tokenizer.js';
import { needData } from '../../support/real-data.js';
import { readUseVocab, REAL_TEXT_FILES, realTexts, referenceTokenizer } from '../../support/use-helpers.js';

const vocab = readUseVocab();
const json = useTokenizerJson(vocab);
const ours = UseTokenizer.fromJson(json);
const ref = referenceTokenizer(vocab);

function mismatches(texts: readonly string[]): string[] {
  const bad: string[] = [];
  for (const t of texts) {
    const want = ref.encode(t);
    const got = ours.encode(t);
    if (got.length !== want.length || got.some((id, i) => id !== want[i])) bad.push(`${JSON.stringify(t.slice(0, 80))}: ${got.slice(0, 12)} vs ${want.slice(0, 12)}`);
  }
  return bad;
}

test('identical ids to the reference tokenizer on real sentences', needData(...REAL_TEXT_FILES), (t) => {
  const sets = realTexts();
  const texts = Object.values(sets).flat();
  assert.ok(texts.length >= 1000, `only ${texts.length} real texts`);
  const bad = mismatches(texts);
  t.diagnostic(`${texts.length} texts (${Object.entries(sets).map(([k, v]) => `${k} ${v.length}`).join(', ')}), ${bad.length} mismatches`);
  assert.deepEqual(bad.slice(0, 5), []);
});

const realish = 'The quick brown fox jumps over the lazy dog, doesn\'t it? Prices rose 3.5% to $1,234.56 on 12:00 Monday. ';
const EDGE_CASES: Record<string, string> = {
  empty: '',
  'one space': ' ',
  'whitespace only': ' \t \n  ',
  'double and edge spaces': '  two  spaces here ',
  'tab and newline inside': 'a\tb\nc',
  'no-break space (NFKC → space)': 'a\u00a0b',
  accents: 'héllo wörld, café naïve résumé Ångström',
  'combining accents (NFKC composes)': 'cafe\u0301 A\u030a',
  'ligature and full width': 'ﬁnance ＡＢＣ１２３',
  CJK: '日本語のテキストと中文分词测试，한국어 문장。',
  'Cyrillic, Arabic, Hindi': 'Привет мир مرحبا بالعالم नमस्ते',
  emoji: '😀 great!! 👍🏽 👨‍👩‍👧 ❤️',
  'unknown runs merge': '😀😀😀 ☃☃',
  'reserved pieces are never matched': '<s> </s> extra_token_id_1 extra_token_id_3',
  'zero-score pieces (":00", "▁:")': ': 12:00 :00',
  'literal separator and replacement char': '▁x ▁▁ \uFFFD',
  'repeated characters (tied paths)': 'hmmm aaaaaaaaaaaa ffffffff zzzzzz !!!!!!!!',
  '2,000-character text': realish.repeat(20).slice(0, 2000),
  '2,000 of one character': 'x'.repeat(2000),
};

for (const [name, text] of Object.entries(EDGE_CASES)) {
  test(`identical ids on an edge case: ${name}`, () => {
    assert.deepEqual(ours.encode(text), ref.encode(text));
  });
}

test('empty text has no tokens; whitespace-only text has some', () => {
  assert.deepEqual(ours.encode(''), []);
  assert.ok(ours.encode(' ').length > 0);
});

test('tokenizer.json is a valid @huggingface/tokenizers Unigram tokenizer', () => {
  const hf = new HfTokenizer(JSON.parse(json), {});
  const text = 'the movie was great fun';
  assert.deepEqual(hf.encode(text).ids, ref.encode(text));
});

test('a tokenizer.json with another normalizer is refused', () => {
  const other = JSON.parse(json) as { normalizer: unknown };
  other.normalizer = { type: 'NFC' };
  assert.throws(() => UseTokenizer.fromJson(JSON.stringify(other)), /normalizer is not the USE one/);
});
