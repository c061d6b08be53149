/** State of the Storage view: per task, methods by dev metric and bytes, with N tasks' totals. */
import type { MAX_STORAGE_TASKS, StorageComparison } from '../../src-main/ipc/contract.js';
import { call, messageOf } from './api.js';

// The renderer takes only types from src-main: the type pins this copy to the contract's value.
const MAX_TASKS: typeof MAX_STORAGE_TASKS = 10_000;

export class StorageState {
  tasks = $state(10);
  report = $state.raw<StorageComparison | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);

  async load(): Promise<void> {
    if (!Number.isInteger(this.tasks) || this.tasks < 1 || this.tasks > MAX_TASKS) {
      this.error = `The number of tasks must be a whole number from 1 to ${MAX_TASKS.toLocaleString('en')}.`;
      return;
    }
    this.loading = true;
    this.error = null;
    try {
      this.report = await call('storage:compare', { tasks: this.tasks });
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }
}
