/** Trusted signing keys and "only install signed packs" (the pack store's trusted-keys.json). */
import type { TrustSettings } from '../../src-main/ipc/contract.js';
import { ActionState } from './action-state.svelte.js';
import { call } from './api.js';

export class TrustState extends ActionState {
  settings = $state.raw<TrustSettings | null>(null);
  /** The add-a-key form. */
  name = $state('');
  publicKey = $state('');

  /** `onChange`: the pack list's signature states depend on the keys. */
  constructor(private readonly onChange: () => void) {
    super();
  }

  load(): Promise<void> {
    return this.run('load', async () => {
      this.settings = await call('trust:get', {});
    });
  }

  add(): Promise<void> {
    return this.change(async () => {
      const name = this.name.trim();
      this.settings = await call('trust:add-key', { name, publicKey: this.publicKey.trim() });
      this.name = this.publicKey = '';
      this.notice = `Packs signed by “${name}” are trusted now.`;
    });
  }

  remove(fingerprint: string, name: string): Promise<void> {
    return this.change(async () => {
      this.settings = await call('trust:remove-key', { fingerprint });
      this.notice = `Removed “${name}”: packs it signed are no longer trusted.`;
    });
  }

  setRequired(required: boolean): Promise<void> {
    return this.change(async () => {
      this.settings = await call('trust:require-signature', { required });
      this.notice = required ? 'Only signed packs install now.' : 'Unsigned packs install again.';
    });
  }

  private change(task: () => Promise<void>): Promise<void> {
    return this.run('change', async () => {
      await task();
      this.onChange();
    });
  }

}
