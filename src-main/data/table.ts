/**
 * Delimited text (CSV, TSV) → records with the line each starts on. csv-parse does the
 * parsing; this module decides the dialect questions a file does not state: whether a TSV
 * uses CSV quoting (GLUE's files do not — MRPC and STS-B hold bare `"` in text — while some
 * exports do) and whether the first record is a header.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { isKnownColumnName } from './column-names.js';
import { DataError } from './errors.js';

/** Columns a file may have (a delimited file's width, a JSONL file's distinct keys): wider is a mistake or an attack. */
export const MAX_COLUMNS = 1024;

export interface RawRecord {
  /** 1-based line the record starts on. */
  line: number;
  fields: string[];
}

export interface DelimitedOptions {
  delimiter: ',' | '\t';
  /** RFC 4180 double-quote quoting; off reads every `"` literally. */
  quoting: boolean;
}

export function parseDelimited(text: string, file: string, { delimiter, quoting }: DelimitedOptions): RawRecord[] {
  let parsed: { info: { lines: number }; record: string[] }[];
  try {
    // With `info: true` each record comes as {info, record}; the typings do not model it.
    parsed = parse(text, {
      delimiter,
      quote: quoting ? '"' : false,
      relax_quotes: true, // a `"` inside an unquoted field is text, not an error
      relax_column_count: true, // column counts are checked by the caller, with a better message
      skip_empty_lines: true,
      info: true,
    }) as unknown as typeof parsed;
  } catch (e) {
    if (e instanceof CsvError) {
      const line = typeof e.lines === 'number' ? e.lines : undefined;
      throw new DataError(file, line, `cannot parse ${delimiter === ',' ? 'CSV' : 'TSV'}: ${e.message.replace(/ at line \d+$/, '')}`);
    }
    throw e;
  }
  // csv-parse reports the line a record ends on, a quoted field may span lines, and inside
  // one it counts each \r as a line too (a CRLF as two): that excess carries over to later records.
  let excess = 0;
  return parsed.map(({ info, record }) => {
    excess += record.reduce((n, f) => n + count(f, '\r'), 0);
    return { line: info.lines - excess - record.reduce((n, f) => n + count(f, '\n'), 0), fields: record };
  });
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/**
 * Does this TSV use CSV quoting? Yes only when some field starts with `"` and every such
 * field is a complete quoted field (closing quote, inner quotes doubled). GLUE's bare quotes
 * (`"The foodservice pie business …` in MRPC) fail that test, so those files are read literally.
 */
export function tsvUsesQuoting(text: string): boolean {
  let quotedFields = 0;
  for (const rawLine of text.split('\n')) {
    for (const rawField of rawLine.split('\t')) {
      const field = rawField.endsWith('\r') ? rawField.slice(0, -1) : rawField;
      if (!field.startsWith('"')) continue;
      if (field.length < 2 || !field.endsWith('"') || field.slice(1, -1).replace(/""/g, '').includes('"')) return false;
      quotedFields++;
    }
  }
  return quotedFields > 0;
}

export const isNumeric = (s: string): boolean => /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s);

/** Records that the header and column heuristics look at. */
const SAMPLE = 500;

/**
 * Is the first record a header? Each column votes, in the spirit of Python's
 * csv.Sniffer.has_header: a column that is numeric below, or takes few distinct values
 * below, votes "header" when the first record's value does not fit it and "data" when it
 * does; any other column votes "header" when its first value is a well-known column name
 * (`text`, `label`, …) seen nowhere below. Free text does not vote; a tie means data.
 */
export function looksLikeHeader(records: readonly RawRecord[]): boolean {
  if (records.length < 2) return false;
  const first = records[0].fields;
  const rest = records.slice(1, 1 + SAMPLE);
  let header = 0, data = 0;
  first.forEach((raw, c) => {
    const column = rest.map((r) => r.fields[c]).filter((v): v is string => v !== undefined).map((v) => v.trim());
    if (column.length === 0) return;
    const value = raw.trim();
    if (column.every(isNumeric)) {
      if (isNumeric(value)) data++;
      else header++;
      return;
    }
    const distinct = new Set(column);
    if (distinct.size <= Math.max(2, Math.min(20, column.length / 4))) {
      if (distinct.has(value)) data++;
      else header++;
    } else if (isKnownColumnName(value) && !distinct.has(value)) header++;
  });
  return header > data;
}

export interface ColumnStats {
  numeric: boolean;
  /** Values written as integers only (no decimal point or exponent). */
  integer: boolean;
  distinct: number;
  meanLength: number;
  n: number;
}

export function columnStats(records: readonly RawRecord[], column: number): ColumnStats {
  const values = records.slice(0, SAMPLE).map((r) => (r.fields[column] ?? '').trim());
  const numeric = values.length > 0 && values.every(isNumeric);
  return {
    numeric,
    integer: numeric && values.every((v) => /^[-+]?\d+$/.test(v)),
    distinct: new Set(values).size,
    meanLength: values.reduce((s, v) => s + v.length, 0) / Math.max(1, values.length),
    n: values.length,
  };
}

/** Few distinct values relative to the sample: a label column rather than text. */
export const isCategorical = (s: ColumnStats): boolean => s.distinct >= 1 && s.distinct <= Math.max(2, Math.min(50, s.n / 5));
