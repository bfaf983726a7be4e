/**
 * Port of Proton's recurring_timer.py: a plain handler that schedules itself every second and prints
 * `Tick...` each time, for ever; Ctrl-C stops the container and prints an empty line.
 *
 * Python's has no options; this one also takes `-p/--period` (seconds between ticks, default 1) and
 * `-t/--timeout` (seconds after which it stops quietly; 0, the default, runs for ever).
 */
import { Container, type Event, Handler, type Task } from '../src/index.js';
import { containerOf, num, parseOptions, runContainer } from './options.js';

class Recurring extends Handler {
  private container: Container | undefined;
  private task: Task | undefined;

  constructor(private readonly periodMs: number) {
    super();
  }

  onReactorInit(event: Event): void {
    this.container = containerOf(event);
    this.task = this.container.schedule(this.periodMs, this);
  }

  onTimerTask(_event: Event): void {
    console.log('Tick...');
    this.task = this.container?.schedule(this.periodMs, this);
  }

  cancel(): void {
    this.task?.cancel();
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'period',
      short: '-p',
      long: '--period',
      type: 'float',
      default: 1,
      help: 'seconds between ticks (default %default)',
    },
    {
      name: 'timeout',
      short: '-t',
      long: '--timeout',
      type: 'float',
      default: 0,
      help: 'stop after this many seconds; 0 runs for ever (default %default)',
    },
  ],
});
const recurring = new Recurring(num(opts, 'period') * 1000);
const container = new Container(recurring);
const timeout = num(opts, 'timeout');
if (timeout > 0) setTimeout(() => recurring.cancel(), timeout * 1000).unref();
await runContainer(container, () => console.log());
