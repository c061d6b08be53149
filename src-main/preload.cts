/**
 * Preload for the app window. The window is sandboxed, and a sandboxed preload must be a
 * CommonJS script that can require only `electron` (no ESM, no local files): hence .cts,
 * and the channel list is repeated here, checked against the contract by the compiler
 * below and by test/app/ipc-contract.test.ts.
 *
 * Exposes exactly one function, `window.taskpack.invoke(channel, args)`; never ipcRenderer
 * itself, so the page cannot reach any channel outside the list or listen to events.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { ArgsOf, Channel, IpcResult, ResultOf, TaskpackBridge } from './ipc/contract.js';

const ALLOWED_CHANNELS = [
  'app:info', 'system:doctor', 'packs:list', 'packs:install', 'packs:uninstall', 'packs:activate', 'packs:predict', 'packs:evaluate',
  'packs:export', 'packs:export-model', 'storage:compare', 'bases:list', 'bases:import-upload', 'bases:import-folder', 'bases:remove',
  'data:inspect', 'train:start', 'train:status', 'train:cancel', 'train:resume', 'train:list', 'train:remove', 'train:explore', 'train:install-explored',
  'train:compare', 'train:compare-status', 'packs:anatomy', 'packs:compare', 'trust:get', 'trust:add-key', 'trust:remove-key', 'trust:require-signature',
] as const satisfies readonly Channel[];

// Compile-time: every contract channel is listed (`satisfies` already forbids extras).
type AssertNever<T extends never> = T;
export type PreloadListsAllChannels = AssertNever<Exclude<Channel, (typeof ALLOWED_CHANNELS)[number]>>;

const bridge: TaskpackBridge = {
  invoke<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<IpcResult<ResultOf<C>>> {
    if (typeof channel !== 'string' || !(ALLOWED_CHANNELS as readonly string[]).includes(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'unknown-channel', message: `unknown channel: ${String(channel)}` } });
    }
    return ipcRenderer.invoke(channel, args) as Promise<IpcResult<ResultOf<C>>>;
  },
};

contextBridge.exposeInMainWorld('taskpack', Object.freeze(bridge));
