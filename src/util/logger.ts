/**
 * The injectable logger, and the `PN_TRACE_FRM` switch of the frame trace.
 *
 * The library logs only through a {@link Logger} the application hands in; the default,
 * {@link NULL_LOGGER}, drops everything. The one exception is the frame trace: when `PN_TRACE_FRM` is
 * set, as with Proton, every frame in and out is written to stderr ({@link stderrTracer}). Nothing here
 * writes to the console.
 */

/**
 * Where the library sends its log messages: the application's logger (the `console` fits, as does most
 * any logging library), or by default one that drops everything. Proton Python logs through its `logging`
 * module instead.
 */
export interface Logger {
  /** Detail for following the library's work step by step. Proton Python: the `proton` logger's `debug`. */
  debug(msg: string, ...args: unknown[]): void;
  /**
   * Events worth knowing in normal operation, such as a reconnect.
   * Proton Python: the `proton` logger's `info`.
   */
  info(msg: string, ...args: unknown[]): void;
  /**
   * Something went wrong and was handled, such as a rejected connection attempt. Proton Python: the `proton`
   * logger's `warning`.
   */
  warn(msg: string, ...args: unknown[]): void;
  /**
   * A failure the application should see, such as a peer closing a link with an error. Proton Python: the
   * `proton` logger's `error`.
   */
  error(msg: string, ...args: unknown[]): void;
}

function ignore(): void {}

/** The logger that drops every message: the default. */
export const NULL_LOGGER: Logger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
});

/**
 * Takes one line of the frame trace, without its newline. Proton Python: `Transport.tracer`, which is also
 * given the transport.
 */
export type FrameTracer = (line: string) => void;

/** The environment variables read here: `process.env`, or a stand-in for tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);

/**
 * Whether `PN_TRACE_FRM` asks for the frame trace. As in Proton, the value counts as on when it is
 * `1`, `true`, `yes` or `on`, in any case; anything else, or no value, is off.
 */
export function traceFramesEnabled(env: Environment = process.env): boolean {
  const v = env.PN_TRACE_FRM;
  return v !== undefined && TRUE_WORDS.has(v.toLowerCase());
}

/** The default frame tracer: one line to stderr, the one place the library writes to by itself. */
export const stderrTracer: FrameTracer = (line) => {
  process.stderr.write(`${line}\n`);
};

/**
 * The tracer `PN_TRACE_FRM` asks for: {@link stderrTracer} when it is on, else `undefined` (no trace).
 * Read it once, when a transport is made, not per frame.
 */
export function frameTracerFromEnv(env: Environment = process.env): FrameTracer | undefined {
  return traceFramesEnabled(env) ? stderrTracer : undefined;
}
