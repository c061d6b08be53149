/**
 * The app window's webPreferences (main.ts): context isolation, the sandbox, no Node in any
 * frame, and DevTools only in a development build — a packaged app gives a user's machine
 * no console in which a pasted snippet could call the IPC bridge.
 */
import type { WebPreferences } from 'electron';

export function windowPreferences(preload: string, packaged: boolean): WebPreferences {
  return {
    preload,
    devTools: !packaged,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}
