/** State of the "System check" view: one run of `system:doctor` at a time. */
import type { DoctorReport } from '../../src-main/ipc/contract.js';
import { call, messageOf } from './api.js';

export type CheckStatus = 'idle' | 'running' | 'done' | 'failed';

export class SystemCheck {
  status = $state<CheckStatus>('idle');
  // The report is replaced, never mutated: no need for deep reactivity.
  report = $state.raw<DoctorReport | null>(null);
  error = $state<string | null>(null);

  readonly running = $derived(this.status === 'running');
  readonly providerCount = $derived(this.report?.providers.length ?? 0);
  readonly passedCount = $derived(this.report?.providers.filter((p) => p.ok).length ?? 0);
  readonly verdict = $derived.by((): 'pass' | 'partial' | 'fail' | null => {
    if (!this.report) return null;
    if (!this.report.gradientCheck.ok || this.passedCount === 0) return 'fail';
    return this.passedCount === this.providerCount ? 'pass' : 'partial';
  });

  async run(): Promise<void> {
    if (this.running) return;
    this.status = 'running';
    this.error = null;
    try {
      this.report = await call('system:doctor', {});
      this.status = 'done';
    } catch (err) {
      this.report = null;
      this.error = messageOf(err);
      this.status = 'failed';
    }
  }
}
