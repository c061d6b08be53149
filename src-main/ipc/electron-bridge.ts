/**
 * Wires the plain handlers (handlers.ts) to Electron's ipcMain. Only the channels of the
 * contract are registered, and only the app's own renderer frame may call them.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { CHANNELS } from './contract.js';
import { ipcFailure, type HandlerTable } from './handlers.js';

export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** Registers every channel; returns a function that removes them again. */
export function registerIpcHandlers(ipcMain: IpcMain, handlers: HandlerTable, isTrustedSender: SenderCheck): () => void {
  for (const channel of CHANNELS) {
    // The renderer sends exactly one argument object; anything else fails validation.
    ipcMain.handle(channel, (event, args: unknown) => {
      if (!isTrustedSender(event)) return ipcFailure('forbidden', `${channel}: caller is not the app window`);
      return handlers[channel](args);
    });
  }
  return () => {
    for (const channel of CHANNELS) ipcMain.removeHandler(channel);
  };
}
