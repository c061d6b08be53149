/** Another process holding a lock file of durable/lock.ts: until killed, or for `holdMs`, after which it writes `marker` and releases. */
import { spawn } from 'node:child_process';

const lockModule = new URL('../../src-main/durable/lock.js', import.meta.url).href;

export interface LockHolderProcess { pid: number; kill(): Promise<void>; exited: Promise<void> }

export function lockHolder(path: string, release?: { holdMs: number; marker: string }): Promise<LockHolderProcess> {
  const after = release
    ? `setTimeout(() => { require('node:fs').writeFileSync(${JSON.stringify(release.marker)}, ''); lock.release(); }, ${release.holdMs});`
    : 'setInterval(() => {}, 1000);';
  const code = `import(${JSON.stringify(lockModule)}).then(({ acquireLock }) => { const lock = acquireLock(${JSON.stringify(path)}, 'test'); console.log('held'); ${after} });`;
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    proc.stdout.once('data', () => resolve({ pid: proc.pid!, exited, kill: () => { proc.kill('SIGKILL'); return exited; } }));
    proc.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
  });
}
