import { messageOf } from './api.js';

/** A page's state that runs one action at a time: which one is running, and its outcome to show. */
export class ActionState {
  /** The running action's name, or null when idle (a list's load runs as null: it blocks nothing). */
  busy = $state<string | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  /** Run `task` unless an action is running; a thrown error becomes `error`. */
  protected async run(what: string | null, task: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = what;
    this.error = null;
    this.notice = null;
    try {
      await task();
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.busy = null;
      this.settled();
    }
  }

  /** After every action, whatever its outcome. */
  protected settled(): void {}
}
