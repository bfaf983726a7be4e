/**
 * Real peers for the interop suite (test/interop/<peer>.test.ts), and the decision every such test makes
 * first: is the peer here?
 *
 * - {@link usePeer} runs a peer script of test/interop/peers/ around a test file or `describe`: before()
 *   runs `<script> start` then `<script> wait`, after() runs `<script> stop`. A script takes its settings
 *   from the environment: `PEER_STATE_DIR` (a fresh directory under $TMPDIR, made and removed here) and
 *   whatever `env` the test gives (ports: `PEER_PORT`...). It stops only what it started.
 * - Each test then begins with `if (!peer.require(t)) return;`. When the peer could not start, that test
 *   fails under CI=true (a missing peer is a failure there) and is skipped elsewhere, with the reason
 *   (also printed once on stderr, so `npm run test:interop` says which peers it could not start and why).
 * - {@link requirePeer} is the same decision for anything else a test needs (an installed program).
 * - {@link PeerProcess} is a peer that is one child process (a Proton example, a small Python script, a
 *   built C program): its stdout lines are kept, and it is killed when the test's scope ends.
 *
 * The typed-message helpers for the `types` scenario are in ./typed-message.ts.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../support/container-harness.js';

export { freePort } from '../../support/socket-driver.js';

/** Whether this run is CI, where a missing peer fails instead of skipping. */
export const inCI = (): boolean => process.env.CI === 'true';

/** The repository's root (this file runs from dist/test/interop/support/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The path of a file in test/interop/ of the repository (`peers/proton-c.sh`, `python/typed.py`). */
export const interopPath = (rel: string): string => join(REPO_ROOT, 'test', 'interop', rel);

/**
 * Whether a test can go on when `reason` says what is missing (undefined: nothing is). When something
 * is, the test fails under CI=true and is skipped elsewhere, naming the reason; this returns false.
 */
export function requirePeer(t: TestContext, reason: string | undefined): boolean {
  if (reason === undefined) return true;
  if (inCI()) assert.fail(`a required interop peer is missing in CI: ${reason}`);
  t.skip(reason);
  return false;
}

/** What a script printed and how it ended. */
export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bash <script> <args>` and waits for it to exit (not for its pipes to close: a script's
 * background process may keep them open). Output is kept up to its exit.
 */
export function runScript(
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const p = spawn('bash', [script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    p.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${timeoutMs} ms)`;
      p.kill('SIGKILL');
    }, timeoutMs);
    const done = (status: number | null) => {
      clearTimeout(timer);
      p.stdout.destroy();
      p.stderr.destroy();
      resolve({ status, stdout, stderr });
    };
    p.on('exit', (code) => done(code));
    p.on('error', (e) => {
      stderr += String(e);
      done(null);
    });
  });
}

export interface PeerOptions {
  /** The peer's name, as in the test titles: `proton-python`, `proton-c`, `rabbitmq`, `rhea`. */
  name: string;
  /** The script's file name in test/interop/peers/ (`proton-c.sh`). */
  script: string;
  /** Settings for the script, added to `PEER_STATE_DIR` and the process's own environment. */
  env?: Record<string, string>;
  /** Why the peer cannot run here (a program not installed), checked before starting; undefined if it can. */
  missing?: () => string | undefined;
  /** How long start plus wait may take. @default 60000 */
  startTimeoutMs?: number;
}

/** Peers started and not yet stopped, stopped at the latest when the test process exits. */
const running = new Set<Peer>();
process.on('exit', () => {
  for (const p of running) p.stopSync();
});

/** One peer run by its script; see the comment at the top of this file. */
export class Peer {
  readonly name: string;
  readonly script: string;
  /** The environment the script runs with (its state directory included, once started). */
  readonly env: Record<string, string>;
  /** Why the peer is not running (not started yet, or it failed to); undefined while it runs. */
  reason: string | undefined = 'not started';
  private stateDir: string | undefined;

  constructor(private readonly options: PeerOptions) {
    this.name = options.name;
    this.script = interopPath(`peers/${options.script}`);
    this.env = { ...options.env };
  }

  /** The state directory of the running peer. */
  get dir(): string {
    assert.ok(this.stateDir, `${this.name} is not started`);
    return this.stateDir;
  }

  /** Starts the peer and waits until it answers; false (with {@link reason}) when it could not. */
  async start(): Promise<boolean> {
    const missing = existsSync(this.script) ? this.options.missing?.() : `no script ${this.script}`;
    if (missing !== undefined) return this.failed(missing);
    this.stateDir = mkdtempSync(join(tmpdir(), `proton-ts-${this.name}-`));
    this.env.PEER_STATE_DIR = this.stateDir;
    running.add(this);
    const timeout = this.options.startTimeoutMs ?? 60_000;
    for (const step of ['start', 'wait']) {
      const r = await this.run([step], timeout);
      if (r.status !== 0) {
        const out = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-6).join('\n');
        await this.stop();
        return this.failed(`${this.options.script} ${step} exited with ${r.status}: ${out}`);
      }
    }
    this.reason = undefined;
    return true;
  }

  /** Stops what the script started, and removes its state directory. */
  async stop(): Promise<void> {
    if (!running.delete(this)) return;
    await this.run(['stop'], 30_000);
    this.removeState();
    if (this.reason === undefined) this.reason = 'stopped';
  }

  /** {@link stop} for the process's exit, when nothing asynchronous can run any more. */
  stopSync(): void {
    running.delete(this);
    spawnSync('bash', [this.script, 'stop'], { env: { ...process.env, ...this.env }, stdio: 'ignore' });
    this.removeState();
  }

  /** Runs the script with other arguments (`status`, a RabbitMQ `ctl ...`). */
  run(args: readonly string[], timeoutMs = 30_000): Promise<ScriptResult> {
    return runScript(this.script, args, this.env, timeoutMs);
  }

  /** Whether test `t` can go on: see {@link requirePeer}. */
  require(t: TestContext): boolean {
    return requirePeer(t, this.reason === undefined ? undefined : `${this.name}: ${this.reason}`);
  }

  private failed(reason: string): false {
    this.reason = reason;
    console.error(`[interop] ${this.name} not started: ${reason}`);
    return false;
  }

  private removeState(): void {
    if (this.stateDir !== undefined) rmSync(this.stateDir, { recursive: true, force: true });
    this.stateDir = undefined;
  }
}

/**
 * A {@link Peer} started before the tests of the enclosing file or `describe` and stopped after them.
 * `env` may be a function, called in before() (to pick free ports then).
 */
export function usePeer(
  options: Omit<PeerOptions, 'env'> & { env?: () => Promise<Record<string, string>> },
): Peer {
  const peer = new Peer({ ...options, env: {} });
  before(async () => {
    if (options.env) Object.assign(peer.env, await options.env());
    await peer.start();
  });
  after(() => peer.stop());
  return peer;
}

/** Why `command args` does not run successfully here (`undefined` when it does), with `hint` appended. */
export function commandFails(command: string, args: readonly string[], hint: string): string | undefined {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  if (r.status === 0) return undefined;
  return `'${[command, ...args].join(' ')}' failed (${r.error?.message ?? `status ${r.status}`}): ${hint}`;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/**
 * A peer that is one child process: its stdout lines are kept in {@link lines}, its stderr in
 * {@link stderr}; {@link dispose} kills it (give it to the test's `Scope`).
 */
export class PeerProcess {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  /** Settles with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  stderr = '';
  private partial = '';

  /** `input`, when given, is written to the process's stdin, which is then closed. */
  constructor(
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
  ) {
    this.proc = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    children.add(this.proc);
    if (options.input !== undefined) {
      this.proc.stdin!.on('error', () => {});
      this.proc.stdin!.end(options.input);
    }
    this.proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      const parts = (this.partial + s).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        children.delete(this.proc);
        if (this.partial !== '') this.lines.push(this.partial);
        this.partial = '';
        resolve(code ?? signal ?? 'unknown');
      });
      this.proc.on('error', (e) => {
        this.stderr += String(e);
        children.delete(this.proc);
        resolve('spawn-error');
      });
    });
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits for a stdout line matching `re` (failing after `ms`, quoting the output), and returns it. */
  async waitForLine(re: RegExp, ms: number): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > end || !this.running) {
        throw new Error(
          `no line matching ${re} (${this.running ? `after ${ms} ms` : 'process exited'}):\n` +
            `stdout: ${this.lines.slice(-5).join('\n')}\nstderr: ${this.stderr.slice(-800)}`,
        );
      }
      await sleep(10);
    }
  }

  /** The exit status, failing after `ms` (the process is then killed). */
  async exit(ms: number): Promise<number | string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), ms);
    });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.dispose();
      throw new Error(
        `process did not exit in ${ms} ms:\n${this.lines.slice(-5).join('\n')}\n${this.stderr}`,
      );
    }
    return r;
  }

  async dispose(): Promise<void> {
    if (this.running) this.proc.kill('SIGKILL');
    await this.exited;
  }
}
