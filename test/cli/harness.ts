/**
 * What the command tests share: running `proton-ts` as a child process (asynchronously, so servers in
 * this process keep running), a broker child that is always killed at the end, and a one-shot client
 * connection that reports what the broker's open said or why it was refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConnectOptions, Container, type Event, MessagingHandler, tlsInfo } from '../../src/index.js';

export const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the command to its end (killed after 20 s), with `input` on its stdin. */
export function runCli(args: string[], input?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** A broker running in a child process. */
export class BrokerChild {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    public port = 0,
  ) {
    this.exited = new Promise((resolve) =>
      child.on('close', (status, signal) => resolve({ status, signal })),
    );
  }

  /** Starts `proton-ts broker --host 127.0.0.1 --port 0 ...args`; resolves once it listens. */
  static start(...args: string[]): Promise<BrokerChild> {
    const child = spawn(process.execPath, [MAIN, 'broker', '--host', '127.0.0.1', '--port', '0', ...args]);
    const b = new BrokerChild(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the broker did not start: ${b.stderr}`));
      }, 10_000);
      child.stderr!.on('data', (d) => {
        b.stderr += d;
      });
      child.stdout!.on('data', (d) => {
        b.stdout += d;
        const m = /broker listening on 127\.0\.0\.1:(\d+)/.exec(b.stdout);
        if (m !== null && b.port === 0) {
          b.port = Number(m[1]);
          clearTimeout(timer);
          resolve(b);
        }
      });
      child.on('close', () => {
        clearTimeout(timer);
        reject(new Error(`the broker exited: ${b.stderr}`));
      });
    });
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Kills it (if still running) and waits for the end. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** What a client connection saw. */
export interface ConnectResult {
  opened: boolean;
  /** The transport's condition, when it failed. */
  condition: { name: string; description?: string | undefined } | undefined;
  /** The broker's open: its max-frame-size and idle-time-out (ms). */
  remoteMaxFrameSize?: number;
  remoteIdleTimeout?: number;
  /** The SASL mechanism used. */
  mechanism?: string | undefined;
  tlsProtocol?: string | undefined;
  /** Why the connection was closed by the peer, if it was. */
  closedWith?: string | undefined;
}

class OneShot extends MessagingHandler {
  readonly result: ConnectResult = { opened: false, condition: undefined };
  constructor(
    private readonly url: string,
    private readonly options: ConnectOptions,
    private readonly stayOpen: boolean,
    private readonly onOpen?: () => void,
  ) {
    super();
  }
  override onStart(e: Event): void {
    e.container.connect(this.url, { reconnect: false, ...this.options });
  }
  override onConnectionOpened(e: Event): void {
    const t = e.connection!.transport!;
    Object.assign(this.result, {
      opened: true,
      remoteMaxFrameSize: t.remoteMaxFrameSize,
      remoteIdleTimeout: t.remoteIdleTimeout,
      mechanism: t.sasl?.mechanism,
      tlsProtocol: tlsInfo(t)?.protocol,
    });
    if (this.stayOpen) this.onOpen?.();
    else e.connection!.close();
  }
  // The engine's event: a forced close is not reported as closing (as Proton, it is left to reconnect).
  onConnectionRemoteClose(e: Event): void {
    this.result.closedWith = e.connection!.remoteCondition?.name;
  }
  override onTransportError(e: Event): void {
    this.result.condition = e.transport?.condition;
  }
}

/** Connects once, then closes (or, with `stayOpen`, waits for the peer to end it). */
export async function connectOnce(
  url: string,
  options: ConnectOptions = {},
  stayOpen = false,
  onOpen?: () => void,
): Promise<ConnectResult> {
  const h = new OneShot(url, options, stayOpen, onOpen);
  const c = new Container(h);
  const timer = setTimeout(() => c.stop(), 10_000);
  await c.run();
  clearTimeout(timer);
  return h.result;
}
