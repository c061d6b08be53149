/**
 * importDataset(path): any supported file → labelled rows, task spec, label set and a
 * fingerprint. Formats (detected, or forced with `format`): GLUE TSVs (registry in glue.ts),
 * TSV/CSV with or without a header, JSONL, TREC label lines, SNLI-style parallel files.
 * Text is trimmed (SST-2's trailing space), CRLF is accepted, blank lines are skipped;
 * anything else malformed is a DataError naming file, line and reason.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { TaskSpec, TaskType, TextRow } from '../model/base.js';
import type { GlueTask } from './glue-tasks.js';
import { chooseColumns, NO_PAIR, type ColumnRequest } from './columns.js';
import { decodeText, type TextEncoding } from './decode.js';
import { DataError } from './errors.js';
import { GLUE_LAYOUTS, glueTaskOfPath, layoutText, matchesLayout } from './glue.js';
import { inferLabels } from './labels.js';
import { lines, looksLikeTrec, parallelFilesOf, readJsonl, readParallel, readTrec, type Table } from './readers.js';
import { looksLikeHeader, MAX_COLUMNS, parseDelimited, tsvUsesQuoting, type RawRecord } from './table.js';

export type DataFormat = 'tsv' | 'csv' | 'jsonl' | 'trec' | 'parallel';

export interface LabelledRow extends TextRow {
  /** Class index into Dataset.labels, or the regression target. */
  label: number;
}

export interface Dataset {
  rows: LabelledRow[];
  task: TaskSpec;
  /** Class names by index (order: see labels.ts); empty for regression. */
  labels: string[];
  columns: { text: string; pair?: string; label: string };
  source: {
    path: string;
    format: DataFormat;
    encoding: TextEncoding;
    /** Set when the file was not valid UTF-8 and was read as ISO-8859-1: where, and what that means. */
    encodingNote?: string;
    header: boolean;
    /** Delimited files: whether `"` quoting was honoured. */
    quoting?: boolean;
    /** The GLUE task the file was recognised as. */
    glue?: GlueTask;
    /** Every column's name: the header's, or 0-based indices ('0', '1', …) in a header-less file. */
    columns: string[];
    /** Set when the rows are one part of a seeded split of the file (split.ts). */
    split?: { part: 'train' | 'dev'; seed: number; devFraction: number };
  };
  /** SHA-256 of the normalised rows (fingerprintRows). */
  fingerprint: string;
}

export interface ImportOptions extends ColumnRequest {
  format?: DataFormat;
  /** Whether the first record is a header (delimited files); detected when absent. */
  header?: boolean;
  /** Honour `"` quoting in a TSV; detected when absent (CSV always quotes). */
  quoting?: boolean;
  taskType?: TaskType;
  /** Fix the label set and order (a dev or eval file takes its training set's labels). */
  labels?: readonly string[];
  /** Treat the file as this GLUE task, or `false` to skip the registry. */
  glue?: GlueTask | false;
}

export function importDataset(path: string, opts: ImportOptions = {}): Dataset {
  const file = resolve(path);
  const parallel = opts.format === undefined || opts.format === 'parallel' ? parallelFilesOf(file) : undefined;
  if (opts.format === 'parallel' && !parallel) throw new DataError(file, undefined, 'expected parallel files s1.<split>, s2.<split> and labels.<split> side by side');
  if (parallel) {
    const { encoding, encodingNote, ...table } = readParallel(parallel);
    return build(file, table, { format: 'parallel', encoding, ...(encodingNote ? { encodingNote } : {}), header: false }, opts);
  }
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) throw new DataError(file, undefined, 'is a folder, expected a data file (or a folder with one set of s1/s2/labels files)');
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { text, encoding, note } = decodeText(bytes, file);
  const decoded = { encoding, ...(note ? { encodingNote: note } : {}) };
  if (text.trim() === '') throw new DataError(file, undefined, 'the file is empty');
  const format = opts.format ?? detectFormat(file, text);
  if (format === 'jsonl') return build(file, readJsonl(text, file), { format, ...decoded, header: true }, opts);
  if (format === 'trec') return build(file, readTrec(text, file), { format, ...decoded, header: false }, opts);

  const quoting = format === 'csv' ? opts.quoting ?? true : opts.quoting ?? tsvUsesQuoting(text);
  const records = parseDelimited(text, file, { delimiter: format === 'csv' ? ',' : '\t', quoting });
  const glue = opts.glue === false ? undefined : opts.glue ?? glueTaskOfPath(file);
  const layout = glue && records.length > 0 && matchesLayout(GLUE_LAYOUTS[glue], records[0].fields) ? GLUE_LAYOUTS[glue] : undefined;
  // A layout the folder suggests is a guess; one asked for by name must fit.
  if (typeof opts.glue === 'string' && records.length > 0 && !layout) throw new DataError(file, records[0].line, `not in GLUE ${opts.glue}'s layout (${layoutText(GLUE_LAYOUTS[opts.glue])})`);
  const header = opts.header ?? layout?.header ?? looksLikeHeader(records);
  const table: Table = header
    ? { header: records[0].fields, records: records.slice(1) }
    : { header: [], records };
  const request: ImportOptions = layout
    ? { textCol: layout.text, pairCol: layout.pair ?? NO_PAIR, labelCol: layout.label, taskType: layout.type, ...definedOnly(opts) }
    : opts;
  return build(file, table, { format, ...decoded, header, quoting, ...(layout ? { glue } : {}) }, request);
}

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

function detectFormat(file: string, text: string): DataFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (text.trimStart().startsWith('{')) return 'jsonl';
  if (looksLikeTrec(text)) return 'trec';
  const head = lines(text.slice(0, 65536)).slice(0, 20);
  if (head.every((l) => l.text.includes('\t'))) return 'tsv';
  if (head.every((l) => l.text.includes(','))) return 'csv';
  throw new DataError(file, undefined, 'cannot detect the format: expected TSV, CSV, JSONL, TREC label lines or s1/s2/labels files (or pass the format)');
}

function build(file: string, table: Table, found: Omit<Dataset['source'], 'path' | 'columns'>, opts: ImportOptions): Dataset {
  const { header, records } = table;
  if (records.length === 0) throw new DataError(file, undefined, header.length ? 'no data rows after the header' : 'no data rows');
  const width = header.length || records[0].fields.length;
  if (width > MAX_COLUMNS) throw new DataError(file, records[0].line - (header.length ? 1 : 0), `${width} columns (a file has at most ${MAX_COLUMNS})`);
  const source = { ...found, columns: header.length ? header.map((h) => h.trim()) : Array.from({ length: width }, (_, i) => String(i)) };
  const kind = source.format === 'csv' ? 'comma-separated' : 'tab-separated';
  for (const r of records) {
    if (r.fields.length !== width) {
      throw new DataError(file, r.line, `expected ${width} ${kind} columns${header.length ? ' (as the header)' : ''}, found ${r.fields.length}`);
    }
  }
  const cols = chooseColumns(file, header.length ? header : undefined, records, width, opts);
  const field = (r: RawRecord, c: number, what: string, name: string) => {
    const v = r.fields[c].trim();
    if (v === '') throw new DataError(lineFile(file, source, c), r.line, `empty ${what} in column '${name}'`);
    return v;
  };
  const texts = records.map((r) => ({
    text: field(r, cols.text, 'text', cols.names.text),
    ...(cols.pair !== undefined ? { pair: field(r, cols.pair, 'text', cols.names.pair!) } : {}),
  }));
  const labelValues = records.map((r) => ({ line: r.line, value: field(r, cols.label, 'label', cols.names.label) }));
  const inferred = inferLabels(labelValues, lineFile(file, source, cols.label), cols.names.label, { type: opts.taskType, labels: opts.labels });
  const rows: LabelledRow[] = texts.map((t, i) => ({ ...t, label: inferred.targets[i] }));
  const task: TaskSpec = { type: inferred.type, outputs: inferred.type === 'regression' ? 1 : inferred.labels.length, pair: cols.pair !== undefined };
  return { rows, task, labels: inferred.labels, columns: cols.names, source: { path: file, ...source }, fingerprint: fingerprintRows(rows, task, inferred.labels) };
}

/** Parallel files report errors against the file that holds the column. */
function lineFile(file: string, source: Pick<Dataset['source'], 'format'>, column: number): string {
  if (source.format !== 'parallel') return file;
  const files = parallelFilesOf(file)!;
  return [files.premise, files.hypothesis, files.labels][column];
}

/** What a user should know about how these files were read (the ISO-8859-1 fallback), one line per file. */
export function readingWarnings(...sets: readonly Dataset[]): string[] {
  return [...new Set(sets.flatMap((d) => (d.source.encodingNote ? [`${d.source.path}: ${d.source.encodingNote}`] : [])))];
}

/**
 * SHA-256 over the rows as `[text, pair|null, label]` JSON lines, the label written as its
 * class name (so the fingerprint does not depend on the label order) or its number.
 */
export function fingerprintRows(rows: readonly LabelledRow[], task: TaskSpec, labels: readonly string[]): string {
  const hash = createHash('sha256');
  for (const r of rows) {
    hash.update(JSON.stringify([r.text, r.pair ?? null, task.type === 'regression' ? r.label : labels[r.label]]));
    hash.update('\n');
  }
  return hash.digest('hex');
}
