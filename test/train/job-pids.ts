/** The pids of this process's training-job children (Linux: procfs). */
import { readFileSync } from 'node:fs';

export function jobPids(): number[] {
  const children = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter((pid) => isJob(pid));
}

/** Whether `pid` is a live training-job process (a zombie or a vanished pid is not). */
export function isJob(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== 'Z' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('training-worker-entry');
  } catch {
    return false;
  }
}
