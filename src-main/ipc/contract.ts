/**
 * The IPC contract, declared once: channel → args → result. The preload and the renderer
 * import it with `import type` only; the runtime channel list below is checked against it
 * by the compiler (exhaustiveness) and by test/app/ipc-contract.test.ts.
 */
import type { DoctorReport, ProviderCheck } from '../selftest/report.js';

export type { DoctorReport, ProviderCheck };

/** Versions and platform of the running app (`app:info`). */
export interface AppInfo {
  name: string;
  version: string;
  node: string;
  platform: string;
  arch: string;
  /** Present when running inside Electron. */
  electron: string | null;
  chrome: string | null;
}

/** Arguments of a channel that takes none: the renderer sends `{}`. */
export type NoArgs = Record<string, never>;

export interface IpcContract {
  'app:info': { args: NoArgs; result: AppInfo };
  'system:doctor': { args: NoArgs; result: DoctorReport };
}

export type Channel = keyof IpcContract;
export type ArgsOf<C extends Channel> = IpcContract[C]['args'];
export type ResultOf<C extends Channel> = IpcContract[C]['result'];

export type IpcErrorCode =
  | 'invalid-args' // arguments failed validation
  | 'unknown-channel' // no such channel
  | 'forbidden' // caller is not the app's own renderer
  | 'failed' // the service threw
  | 'transport'; // the renderer could not reach the main process / dev host

export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

/** Every handler answers this; it never throws across the boundary. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** What the preload exposes as `window.taskpack`. */
export interface TaskpackBridge {
  invoke<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<IpcResult<ResultOf<C>>>;
}

/** The runtime channel list: the only channels the preload, ipcMain and the dev host accept. */
export const CHANNELS = ['app:info', 'system:doctor'] as const satisfies readonly Channel[];

// Compile-time exhaustiveness: adding a channel to IpcContract without listing it fails here.
type AssertNever<T extends never> = T;
export type AllChannelsListed = AssertNever<Exclude<Channel, (typeof CHANNELS)[number]>>;

export function isChannel(name: string): name is Channel {
  return (CHANNELS as readonly string[]).includes(name);
}
