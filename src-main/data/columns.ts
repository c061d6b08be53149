/**
 * Which columns hold the text, the optional second text and the label. The user's
 * `--text-col`/`--pair-col`/`--label-col` (a header name, or a 0-based index) win; then
 * well-known header names; then column statistics: the label is a numeric or few-valued
 * column, the text the longest remaining one, the pair a second long, varied column.
 * `--pair-col none` turns the pair off.
 */
import { LABEL_NAMES, PAIR_NAMES, TEXT_NAMES } from './column-names.js';
import { DataError } from './errors.js';
import { columnStats, isCategorical, type ColumnStats, type RawRecord } from './table.js';

export type ColumnRef = string | number;

export interface ColumnRequest {
  textCol?: ColumnRef;
  pairCol?: ColumnRef;
  labelCol?: ColumnRef;
}

export interface ColumnChoice {
  text: number;
  pair?: number;
  label: number;
  /** Header names, or the index as a string in header-less files. */
  names: { text: string; pair?: string; label: string };
}

export const NO_PAIR = 'none';

export function chooseColumns(file: string, header: readonly string[] | undefined, records: readonly RawRecord[], width: number, req: ColumnRequest): ColumnChoice {
  const resolve = (ref: ColumnRef, flag: string) => resolveRef(file, header, width, ref, flag);
  const byName = (names: readonly string[], taken: number[]) => {
    if (!header) return undefined;
    for (const name of names) {
      const i = header.findIndex((h, j) => h.trim().toLowerCase() === name && !taken.includes(j));
      if (i >= 0) return i;
    }
    return undefined;
  };
  const stats = Array.from({ length: width }, (_, c) => columnStats(records, c));

  // Columns the user named for text, or whose header names text, are not label candidates.
  const userText = req.textCol !== undefined ? resolve(req.textCol, '--text-col') : undefined;
  const userPair = req.pairCol !== undefined && req.pairCol !== NO_PAIR ? resolve(req.pairCol, '--pair-col') : undefined;
  const userTexts = [userText, userPair].filter((c): c is number => c !== undefined);
  const textLike = header ? header.flatMap((h, c) => (TEXT_NAMES.includes(h.trim().toLowerCase()) || PAIR_NAMES.includes(h.trim().toLowerCase()) ? [c] : [])) : [];
  const label = req.labelCol !== undefined
    ? resolve(req.labelCol, '--label-col')
    : byName(LABEL_NAMES, userTexts) ?? guessLabel(stats, [...userTexts, ...textLike]);
  if (label === undefined) throw new DataError(file, undefined, `cannot tell which column holds the label (${describe(header, width)}): name it with --label-col`);
  const taken = [label, ...userTexts];
  const text = userText ?? byName(TEXT_NAMES, taken) ?? longest(stats, taken);
  if (text === undefined) throw new DataError(file, undefined, `cannot tell which column holds the text (${describe(header, width)}): name it with --text-col`);
  let pair: number | undefined;
  if (req.pairCol !== undefined) pair = userPair;
  else if (req.textCol === undefined) pair = header ? byName(PAIR_NAMES, [label, text]) : guessPair(stats, text, [label, text]);
  if (new Set([text, pair, label].filter((c) => c !== undefined)).size !== (pair === undefined ? 2 : 3)) {
    throw new DataError(file, undefined, 'the text, pair and label columns must be different columns');
  }
  const name = (c: number) => (header ? header[c].trim() : String(c));
  return { text, pair, label, names: { text: name(text), ...(pair !== undefined ? { pair: name(pair) } : {}), label: name(label) } };
}

function resolveRef(file: string, header: readonly string[] | undefined, width: number, ref: ColumnRef, flag: string): number {
  if (typeof ref === 'string') {
    const want = ref.trim();
    const exact = header?.findIndex((h) => h.trim() === want) ?? -1;
    if (exact >= 0) return exact;
    const folded = header?.findIndex((h) => h.trim().toLowerCase() === want.toLowerCase()) ?? -1;
    if (folded >= 0) return folded;
    if (!/^\d+$/.test(want)) throw new DataError(file, undefined, `${flag} '${ref}': no such column (${describe(header, width)})`);
    ref = Number(want);
  }
  if (!Number.isInteger(ref) || ref < 0 || ref >= width) throw new DataError(file, undefined, `${flag} ${ref}: no such column (${describe(header, width)})`);
  return ref;
}

const describe = (header: readonly string[] | undefined, width: number) =>
  header ? `columns: ${header.map((h) => `'${h.trim()}'`).join(', ')}` : `${width} columns, no header: use indices 0–${width - 1}`;

/** Integer classes first, then few-valued strings, then a real-valued score; fewest values wins. */
function guessLabel(stats: ColumnStats[], excluded: number[]): number | undefined {
  const exclude = new Set(excluded); // as many as the columns (every header a text name): a set keeps this linear
  const rank = (s: ColumnStats) => (s.integer && isCategorical(s) ? 0 : isCategorical(s) && !s.numeric && s.meanLength > 0 ? 1 : s.numeric && !s.integer ? 2 : 3);
  let best: number | undefined;
  stats.forEach((s, c) => {
    if (rank(s) === 3 || s.distinct < 2 || exclude.has(c)) return;
    if (best === undefined || rank(s) < rank(stats[best]) || (rank(s) === rank(stats[best]) && s.distinct < stats[best].distinct)) best = c;
  });
  return best;
}

function longest(stats: ColumnStats[], taken: number[]): number | undefined {
  let best: number | undefined;
  stats.forEach((s, c) => {
    if (!taken.includes(c) && s.meanLength > 0 && (best === undefined || s.meanLength > stats[best].meanLength)) best = c;
  });
  return best;
}

/** A second text: long (≥ 8 characters and a quarter of the text's mean) and varied. */
function guessPair(stats: ColumnStats[], text: number, taken: number[]): number | undefined {
  const c = longest(stats, taken);
  if (c === undefined) return undefined;
  const s = stats[c];
  return !s.numeric && s.meanLength >= Math.max(8, stats[text].meanLength / 4) && s.distinct >= s.n / 2 ? c : undefined;
}
