/**
 * Readers for the formats that are not delimited tables, each returning the same shape
 * (header + records with line numbers) so column choice and label inference are shared:
 * JSONL objects, TREC's `COARSE:fine question` lines, and SentEval-style parallel line
 * files (SNLI's s1/s2/labels).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeText, type TextEncoding } from './decode.js';
import { DataError } from './errors.js';
import { MAX_COLUMNS, type RawRecord } from './table.js';

export interface Table {
  header: string[];
  records: RawRecord[];
}

/** Non-empty lines with their 1-based numbers (a trailing `\r` is dropped). */
export function lines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (t.trim() !== '') out.push({ line: i + 1, text: t });
  });
  return out;
}

/** Fields a JSONL file may expand to per byte (every line padded to every key), so reading stays linear. */
const JSONL_FIELDS_PER_BYTE = 8;
const JSONL_MIN_FIELDS = 1 << 20;

/** One JSON object per line; columns are the keys in order of first appearance. */
export function readJsonl(text: string, file: string): Table {
  const header: string[] = [];
  const at = new Map<string, number>();
  const objects = lines(text).map(({ line, text: t }) => {
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (e) {
      throw new DataError(file, line, `invalid JSON: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DataError(file, line, 'expected a JSON object per line');
    for (const key of Object.keys(value)) {
      if (at.has(key)) continue;
      if (header.length === MAX_COLUMNS) throw new DataError(file, line, `key '${key.slice(0, 64)}' would be column ${MAX_COLUMNS + 1}: a file has at most ${MAX_COLUMNS} columns (distinct keys)`);
      at.set(key, header.length);
      header.push(key);
    }
    return { line, value: value as Record<string, unknown> };
  });
  // Every record is padded to every key: refuse files whose lines share so few keys that this is far larger than the file.
  const fields = objects.length * header.length;
  if (fields > Math.max(JSONL_MIN_FIELDS, JSONL_FIELDS_PER_BYTE * text.length)) {
    throw new DataError(file, undefined, `${header.length} distinct keys over ${objects.length} lines, most lines lacking most of them (${fields} fields for a ${text.length}-character file): keep to the keys the lines share`);
  }
  const records = objects.map(({ line, value }) => ({
    line,
    fields: header.map((key) => {
      const v = value[key];
      if (v === undefined || v === null) return '';
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new DataError(file, line, `field '${key}' holds ${Array.isArray(v) ? 'an array' : 'an object'}, expected text or a number`);
    }),
  }));
  return { header, records };
}

const TREC_LINE = /^([A-Z]+):(\S+)\s+(.*)$/;

export const looksLikeTrec = (text: string): boolean => {
  const head = lines(text.slice(0, 4096)).slice(0, 20);
  return head.length > 0 && head.every(({ text: t }) => !t.includes('\t') && TREC_LINE.test(t));
};

/** TREC question classification: `COARSE:fine question …`; columns coarse, fine (`COARSE:fine`), question. */
export function readTrec(text: string, file: string): Table {
  const records = lines(text).map(({ line, text: t }) => {
    const m = TREC_LINE.exec(t);
    if (!m) throw new DataError(file, line, "expected 'COARSE:fine question' (TREC format)");
    return { line, fields: [m[1], `${m[1]}:${m[2]}`, m[3]] };
  });
  return { header: ['coarse', 'fine', 'question'], records };
}

export interface ParallelFiles {
  premise: string;
  hypothesis: string;
  labels: string;
}

const PARALLEL = /^(s1|s2|labels)\.([^/\\]+)$/;

/** `…/s1.dev`, `…/s2.dev` or `…/labels.dev` (or a folder holding exactly one such set) → the three files. */
export function parallelFilesOf(path: string): ParallelFiles | undefined {
  let dir = dirname(path), split: string | undefined;
  if (existsSync(path) && statSync(path).isDirectory()) {
    dir = path;
    const splits = new Set(readdirSync(path).map((n) => PARALLEL.exec(n)?.[2]).filter((s): s is string => !!s));
    if (splits.size !== 1) return undefined;
    split = [...splits][0];
  } else {
    split = PARALLEL.exec(basename(path))?.[2];
  }
  if (!split) return undefined;
  const files = { premise: join(dir, `s1.${split}`), hypothesis: join(dir, `s2.${split}`), labels: join(dir, `labels.${split}`) };
  return Object.values(files).every((f) => existsSync(f)) ? files : undefined;
}

/** Three files of equal line counts, line i of each making example i; columns s1, s2, label. */
export function readParallel(files: ParallelFiles): Table & { encoding: TextEncoding; encodingNote?: string } {
  const read = (f: string) => {
    const decoded = decodeText(readFileSync(f), f);
    const all = decoded.text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (all.length > 0 && all[all.length - 1] === '') all.pop(); // the final newline ends the last line
    return { lines: all, encoding: decoded.encoding, note: decoded.note && `${basename(f)}: ${decoded.note}` };
  };
  const [s1, s2, labels] = [read(files.premise), read(files.hypothesis), read(files.labels)];
  const counts = [s1, s2, labels].map((f) => f.lines.length);
  if (new Set(counts).size !== 1) {
    const line = Math.min(...counts) + 1;
    const short = [files.premise, files.hypothesis, files.labels].filter((_, i) => counts[i] === Math.min(...counts)).map((f) => basename(f));
    throw new DataError(files.labels, line, `parallel files differ in length (${basename(files.premise)}: ${counts[0]}, ${basename(files.hypothesis)}: ${counts[1]}, ${basename(files.labels)}: ${counts[2]} lines): ${short.join(', ')} end${short.length === 1 ? 's' : ''} first`);
  }
  const records = s1.lines.map((text, i) => ({ line: i + 1, fields: [text, s2.lines[i], labels.lines[i]] }));
  // Report the odd one out when the three disagree (a legacy file among UTF-8 ones).
  const odd = [s1, s2, labels].find((f) => f.encoding !== 'utf-8');
  return { header: ['s1', 's2', 'label'], records, encoding: odd?.encoding ?? 'utf-8', ...(odd?.note ? { encodingNote: odd.note } : {}) };
}
