/**
 * Runs the examples as child processes, as Proton's test_examples.py does: ours (`ts:NAME`, the
 * compiled dist/examples/NAME.js) or Proton Python's (`py:NAME`, from Debian's examples directory),
 * capturing what they print. Every process started is killed by {@link killAll} (call it in `after`)
 * and after its own timeout.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './proton-python.js';

/** Where Debian installs Proton's Python examples. */
export const PY_EXAMPLES = '/usr/share/proton/examples/python';

/** The requests of client.py when given none, and the responses a server gives them. */
export const REQUESTS = [
  'Twas brillig, and the slithy toves',
  'Did gire and gymble in the wabe.',
  'All mimsy were the borogroves,',
  'And the mome raths outgrabe.',
];
export const RESPONSES = REQUESTS.map((r) => `${r} => ${r.toUpperCase()}`);

/** How an example ended and what it printed. */
export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout's non-empty lines. */
  lines: string[];
}

/** A running example. */
export interface Started {
  child: ChildProcess;
  done: Promise<Result>;
  /** What it printed so far. */
  output(): string;
  /** Writes a line on its stdin (started with `stdin: true`). */
  write(line: string): void;
}

export interface StartOptions {
  /** Killed (SIGKILL) after this long. @default 20000 */
  timeoutMs?: number;
  /** The working directory. @default this process's */
  cwd?: string;
  /** Whether the test writes on its stdin (else it reads nothing). @default false */
  stdin?: boolean;
  /**
   * For a Python example with no options, whose broker and node are hard-coded as `localhost:5672`
   * and `"examples"`: `host:port` or `host:port/node` to use instead (the script's text is run with
   * those strings replaced).
   */
  retarget?: string;
}

const children = new Set<ChildProcess>();

/**
 * A Python program that runs `script` (argv[1]) with `localhost:5672` replaced by argv[2] and, when
 * argv[3] is not empty, the node `"examples"` by argv[3].
 */
const RETARGET = [
  'import sys, os',
  'script, target, node = sys.argv[1], sys.argv[2], sys.argv[3]',
  'sys.argv = [script] + sys.argv[4:]',
  'sys.path[0] = os.path.dirname(script)',
  'source = open(script).read().replace("localhost:5672", target)',
  'source = source.replace(\'"examples"\', repr(node)) if node else source',
  'exec(compile(source, script, "exec"), {"__name__": "__main__", "__file__": script})',
].join('\n');

function command(example: string, args: readonly string[], retarget?: string): [string, string[]] {
  const [kind, name] = example.split(':') as [string, string];
  if (kind === 'py') {
    const script = `${PY_EXAMPLES}/${name}.py`;
    if (retarget !== undefined) {
      const slash = retarget.indexOf('/');
      const [hostPort, node] =
        slash < 0 ? [retarget, ''] : [retarget.slice(0, slash), retarget.slice(slash + 1)];
      return [PYTHON, ['-c', RETARGET, script, hostPort, node, ...args]];
    }
    return [PYTHON, [script, ...args]];
  }
  assert.equal(kind, 'ts', `an example is py:NAME or ts:NAME, not ${example}`);
  return [process.execPath, [fileURLToPath(new URL(`../../examples/${name}.js`, import.meta.url)), ...args]];
}

/** Starts an example; `done` resolves when it exits. */
export function start(example: string, args: readonly string[], options: StartOptions = {}): Started {
  const [cmd, argv] = command(example, args, options.retarget);
  const child = spawn(cmd, argv, {
    cwd: options.cwd,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // A child that exits early makes writes fail with EPIPE: the test sees it in the result.
  child.stdin?.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const done = new Promise<Result>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '') });
    });
  });
  return {
    child,
    done,
    output: () => stdout,
    write: (line: string) => {
      child.stdin?.write(`${line}\n`);
    },
  };
}

/** Runs an example to its end. */
export const run = (example: string, args: readonly string[], options: StartOptions = {}): Promise<Result> =>
  start(example, args, options).done;

/** Stops a long-running example (a server) with SIGINT, as Ctrl-C, and returns what it printed. */
export function stop(p: Started): Promise<Result> {
  p.child.kill('SIGINT');
  return p.done;
}

/** Kills every example still running. */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** Waits until `ok()` holds, polling. */
export async function waitFor(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the example has printed `count` lines equal to `line` (it failing the wait if it exits). */
export async function waitForLine(p: Started, line: string, count = 1, timeoutMs = 20_000): Promise<void> {
  let exited = false;
  p.done.then(() => {
    exited = true;
  });
  const seen = () =>
    p
      .output()
      .split('\n')
      .filter((l) => l === line).length >= count;
  await waitFor(
    `${count} x '${line}' in ${JSON.stringify(p.output())}`,
    () => {
      if (!seen() && exited)
        throw new Error(`exited before printing '${line}': ${JSON.stringify(p.output())}`);
      return seen();
    },
    timeoutMs,
  );
}

/** A free TCP port on 127.0.0.1 (free when asked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts connections on `port` of 127.0.0.1. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `{'sequence': n}` for `n` messages from `from`, as simple_recv prints them. */
export const sequence = (n: number, from = 1): string[] =>
  Array.from({ length: n }, (_, i) => `{'sequence': ${i + from}}`);

/** Asserts that the example exited 0 having printed exactly `lines`. */
export function assertOk(r: Result, lines: readonly string[], what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code} (${r.signal}): ${r.stderr}`);
  assert.deepEqual(r.lines, lines, `${what}: ${r.stderr}`);
}
