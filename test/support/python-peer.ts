/**
 * Proton Python's example programs as peers of the Container tests: each runs as a child process whose
 * stdout lines are collected; every process is killed when its test ends ({@link PythonPeer.dispose},
 * through a `Scope`) and, at the latest, when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { traceFramesEnabled } from '../../src/util/logger.js';
import { PYTHON } from './proton-python.js';

/** Where Debian's python3-qpid-proton puts its examples. */
export const PROTON_EXAMPLES = '/usr/share/proton/examples/python';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

export class PythonPeer {
  readonly proc: ChildProcess;
  /** The lines printed on stdout so far. */
  readonly lines: string[] = [];
  /** Settles with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  private err = '';
  private partial = '';

  /** Starts `python3 -u <script> <args>`: `script` is a path, or an example's file name. */
  constructor(script: string, args: string[]) {
    const path = script.includes('/') ? script : `${PROTON_EXAMPLES}/${script}`;
    this.proc = spawn(PYTHON, ['-u', path, ...args], {
      env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this.proc);
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (s: string) => {
      const parts = (this.partial + s).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.proc.stderr!.setEncoding('utf8');
    const echo = traceFramesEnabled();
    this.proc.stderr!.on('data', (s: string) => {
      this.err += s;
      if (echo) process.stderr.write(s.replace(/^(?=.)/gm, '[python] '));
    });
    this.exited = new Promise<number | string>((resolve) => {
      this.proc.on('close', (code, signal) => {
        live.delete(this.proc);
        if (this.partial !== '') this.lines.push(this.partial);
        this.partial = '';
        resolve(code ?? signal ?? 'unknown');
      });
      this.proc.on('error', (e) => {
        this.err += String(e);
        live.delete(this.proc);
        resolve('spawn-error');
      });
    });
  }

  /** What the process wrote on stderr so far. */
  get stderr(): string {
    return this.err;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }

  async dispose(): Promise<void> {
    this.kill();
    await this.exited;
  }
}
