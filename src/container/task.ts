/** A scheduled task: `container.schedule(delay, handler)` runs `handler.onTimerTask(event)` after `delay` ms. */

export class Task {
  /** Whether the task was cancelled (or has run). */
  cancelled = false;

  constructor(
    /** The handler that gets `onTimerTask` (the container's handlers when undefined). */
    readonly handler: object | undefined,
    private readonly onCancel: (task: Task) => void,
  ) {}

  /** Cancels the task: it will not run. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.onCancel(this);
  }
}
