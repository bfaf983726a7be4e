/**
 * A progress bar for long runs of `send` and `receive`, drawn on stderr, and only on a terminal: piped
 * or captured output stays clean. The stream is handed in, so a test can pass a fake terminal.
 */
import type { OutStream } from './args.js';

/** Runs shorter than this get no bar: they end before one would help. */
export const PROGRESS_THRESHOLD = 1000;

/** Redraw at most this often (ms): drawing per message would cost more than the messages. */
const REDRAW_INTERVAL = 100;

export interface Progress {
  /** `done` of the total are through. */
  update(done: number): void;
  /** Clears the bar (the run is over, or failed). */
  finish(): void;
}

const NONE: Progress = Object.freeze({ update() {}, finish() {} });

/**
 * A bar for `total` items on `stream` when the stream is a terminal and the run is long enough, else
 * one that draws nothing. `now` is the clock (for tests).
 */
export function progress(
  stream: OutStream,
  label: string,
  total: number,
  now: () => number = Date.now,
): Progress {
  if (stream.isTTY !== true || total < PROGRESS_THRESHOLD) return NONE;
  return new ProgressBar(stream, label, total, now);
}

export class ProgressBar implements Progress {
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private finished = false;
  private readonly started: number;

  constructor(
    private readonly stream: OutStream,
    private readonly label: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  update(done: number): void {
    if (this.finished) return;
    const t = this.now();
    // The last one is always drawn, so the bar ends full.
    if (done < this.total && t - this.lastDraw < REDRAW_INTERVAL) return;
    this.lastDraw = t;
    this.drawn = true;
    this.stream.write(`\r${this.line(done, t)}`);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    // Leaves the terminal as it was: the bar's line is wiped, the cursor at its start.
    if (this.drawn) this.stream.write('\r\x1b[2K');
  }

  /** `label [#####.....]  42% 420/1000 1234/s`, fitted to the terminal's width. */
  line(done: number, t: number): string {
    const fraction = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const elapsed = (t - this.started) / 1000;
    const rate = elapsed > 0 ? `${Math.round(done / elapsed)}/s` : '';
    const tail =
      ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${done}/${this.total} ${rate}`.trimEnd();
    const width = Math.max(
      10,
      Math.min(50, (this.stream.columns ?? 80) - this.label.length - tail.length - 4),
    );
    const full = Math.floor(fraction * width);
    return `${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}]${tail}`;
  }
}
