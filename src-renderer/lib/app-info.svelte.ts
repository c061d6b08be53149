/** Versions shown in the header, fetched once through `app:info`. */
import type { AppInfo } from '../../src-main/ipc/contract.js';
import { call } from './api.js';

export class AppInfoState {
  info = $state.raw<AppInfo | null>(null);

  readonly runtimeLabel = $derived.by(() => {
    const info = this.info;
    if (!info) return '';
    const host = info.electron ? `Electron ${info.electron}` : `Node ${info.node}`;
    return `${host} · ${info.platform} ${info.arch}`;
  });

  async load(): Promise<void> {
    try {
      this.info = await call('app:info', {});
    } catch {
      this.info = null; // the header simply shows no versions
    }
  }
}
