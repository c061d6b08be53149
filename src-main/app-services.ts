/**
 * The real services behind the IPC handlers, the CLI and the dev host. No electron import:
 * Electron-only facts (versions) come from process.versions, which Electron fills in.
 */
import type { AppInfo } from './ipc/contract.js';
import type { DoctorOptions, Services } from './ipc/handlers.js';
import { appVersion } from './paths.js';

/**
 * The self-test pulls in the graph, training and ONNX Runtime modules: load it on first use
 * so `taskpack serve`, `--help` and the window come up without paying for it.
 */
async function runDoctor(options: DoctorOptions = {}) {
  const { runDoctor: run } = await import('./selftest/doctor.js');
  return run({ log: options.log });
}

export function appInfo(): AppInfo {
  return {
    name: 'TaskPack Studio',
    version: appVersion(),
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    electron: process.versions.electron ?? null,
    chrome: process.versions.chrome ?? null,
  };
}

/** Concurrent callers share one run: the self-test is heavy and its answer is the same. */
function singleFlight<A extends unknown[], T>(task: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let running: Promise<T> | undefined;
  return (...args) => {
    running ??= task(...args).finally(() => {
      running = undefined;
    });
    return running;
  };
}

export function createAppServices(): Services {
  return {
    appInfo,
    runDoctor: singleFlight(runDoctor),
  };
}
