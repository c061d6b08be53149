/**
 * Malformed input is reported as a DataError naming the file, the line (1-based, where one
 * applies) and the reason, so a user can open the file at the right place and fix it.
 */
export class DataError extends Error {
  override readonly name = 'DataError';

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line === undefined ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
  }
}
