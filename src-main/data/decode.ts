/**
 * Bytes → text. Data files arrive in whatever encoding their source used: UTF-8 (with or
 * without a BOM), UTF-16 with a BOM, or legacy ISO-8859-1 (TREC). We take UTF-8 when the
 * bytes are valid UTF-8 and fall back to ISO-8859-1 otherwise (every byte sequence is valid
 * ISO-8859-1, so the fallback never fails); files that look binary are refused.
 */
import { DataError } from './errors.js';

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'iso-8859-1';

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
  /** Why a file was not read as UTF-8 (the ISO-8859-1 fallback), for the user to see. */
  note?: string;
}

/** Bytes inspected to decide whether a file is binary. */
const SNIFF_BYTES = 65536;

const MAGIC: [string, number[]][] = [
  ['a gzip archive', [0x1f, 0x8b]],
  ['a zip archive (xlsx, docx, …)', [0x50, 0x4b, 0x03, 0x04]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46]],
  ['an OLE2 document (xls, doc)', [0xd0, 0xcf, 0x11, 0xe0]],
  ['a Parquet file', [0x50, 0x41, 0x52, 0x31]],
];

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

export function decodeText(bytes: Uint8Array, file: string): DecodedText {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) return { text: utf8(bytes.subarray(3), file), encoding: 'utf-8' };
  if (startsWith(bytes, [0xff, 0xfe])) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (startsWith(bytes, [0xfe, 0xff])) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  refuseBinary(bytes, file);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    const note = `line ${firstNonUtf8Line(bytes)} is not valid UTF-8, so the whole file was read as ISO-8859-1 (Latin-1): its non-ASCII characters may be wrong unless it is a Latin-1 file; save it as UTF-8 to have it read as UTF-8`;
    return { text: new TextDecoder('latin1').decode(bytes), encoding: 'iso-8859-1', note };
  }
}

/** The first line (1-based) that does not decode as UTF-8: '\n' never occurs inside a multi-byte sequence. */
function firstNonUtf8Line(bytes: Uint8Array): number {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const nl = bytes.indexOf(0x0a, start), end = nl < 0 ? bytes.length : nl;
    try {
      fatal.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
  }
  return line;
}

function utf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(file, undefined, 'starts with a UTF-8 byte-order mark but is not valid UTF-8');
  }
}

/** A NUL byte, a known binary signature or many control bytes means "not a text file". */
function refuseBinary(bytes: Uint8Array, file: string): void {
  for (const [what, magic] of MAGIC) {
    if (startsWith(bytes, magic)) throw new DataError(file, undefined, `binary file (${what}), expected text (TSV, CSV, JSONL or lines)`);
  }
  const head = bytes.subarray(0, SNIFF_BYTES);
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 0) throw new DataError(file, lineAt(head, i), 'binary file (NUL byte), expected text (TSV, CSV, JSONL or lines)');
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  if (control > 0.05 * head.length) throw new DataError(file, undefined, `binary file (${control} control bytes in the first ${head.length}), expected text`);
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
