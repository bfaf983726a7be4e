/** A scheduled task: `container.schedule(delay, handler)` runs `handler.onTimerTask(event)` after `delay` ms. */

/**
 * A timer made by `container.schedule(delay, handler)`; cancel it to keep it from running. Proton: the
 * `Task` that `Container.schedule` returns (`proton._reactor.Task`), which raises `on_timer_task`.
 */
export class Task {
  /**
   * Whether the task was cancelled (or has run). Proton keeps it private, as `Task._cancelled`.
   * @default false
   */
  cancelled = false;

  constructor(
    /**
     * The handler that gets `onTimerTask` (the container's handlers when undefined). Proton: `Task.handler`.
     */
    readonly handler: object | undefined,
    private readonly onCancel: (task: Task) => void,
  ) {}

  /** Cancels the task: it will not run. Proton: `Task.cancel()`. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.onCancel(this);
  }
}
