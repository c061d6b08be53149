/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { TaskpackBridge } from '../src-main/ipc/contract.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a plain browser (dev host). */
    taskpack?: TaskpackBridge;
  }
}

export {};
