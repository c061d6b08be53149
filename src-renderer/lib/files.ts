/** Files the user picks, read in the renderer: pack bytes for install, texts to predict. */

/** Base64 of `bytes`, in chunks (String.fromCharCode takes a bounded number of arguments). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function base64ToBytes(data: string): Uint8Array<ArrayBuffer> {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Hand `data` to the browser's (or Electron's) download: a save dialog, no path from the page. */
export function download(fileName: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  saveFrom(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Save what a same-origin URL serves (a prepared model's one-time download link) straight to disk. */
export function saveFrom(url: string, fileName: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
}

export interface TextRow {
  text: string;
  pair?: string;
}

/** Most rows one file may hold. */
export const MAX_FILE_ROWS = 100_000;

/**
 * One text per line; with `pairs`, the two texts of a line separated by a tab. Blank lines
 * are skipped. Throws with the line number for a line that does not fit.
 */
export function parseTextLines(content: string, pairs: boolean): TextRow[] {
  const rows: TextRow[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    if (rows.length === MAX_FILE_ROWS) throw new Error(`more than ${MAX_FILE_ROWS.toLocaleString('en')} lines: split the file`);
    if (!pairs) {
      rows.push({ text: line });
      continue;
    }
    const cells = line.split('\t');
    if (cells.length !== 2 || !cells[0].trim() || !cells[1].trim()) throw new Error(`line ${i + 1}: expected two texts separated by one tab`);
    rows.push({ text: cells[0], pair: cells[1] });
  }
  if (rows.length === 0) throw new Error('the file has no text lines');
  return rows;
}
