/** Where the real datasets live for tests (never committed): TASKPACK_DATA or ../shared/data. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src-main/paths.js';

export const DATA_DIR = process.env.TASKPACK_DATA ?? join(projectRoot(), '..', 'shared', 'data');

/** `{ skip: '…' }` when a data file is absent, so the test says why it did not run. */
export function needData(...relPaths: string[]): { skip?: string } {
  const missing = relPaths.filter((p) => !existsSync(join(DATA_DIR, p)));
  return missing.length ? { skip: `real data absent: ${missing.join(', ')} not under ${DATA_DIR} (set TASKPACK_DATA)` } : {};
}

export const dataPath = (relPath: string) => join(DATA_DIR, relPath);
