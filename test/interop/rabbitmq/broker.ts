/**
 * One RabbitMQ for a test file, run by test/interop/peers/rabbitmq.sh in a temporary state directory, on
 * free loopback ports picked here (AMQP, TLS, Erlang distribution and its own epmd), so that it shares
 * nothing with another RabbitMQ or Erlang node on the machine. `stop()` stops what `start()` started and
 * removes the directory; `restart()` stops and starts it again on the same ports and state (durable
 * queues and persistent messages survive).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../support/socket-driver.js';

const run = promisify(execFile);

/** The peer script (dist/test/interop/rabbitmq/ -> the repository's test/interop/peers/). */
export const RABBITMQ_SCRIPT = fileURLToPath(
  new URL('../../../../test/interop/peers/rabbitmq.sh', import.meta.url),
);

/** Why RabbitMQ cannot run here, or undefined when everything it needs is installed. */
export function rabbitmqMissing(): string | undefined {
  const need: [string, string][] = [
    ['/usr/lib/rabbitmq/bin/rabbitmq-server', 'apt-get install -y rabbitmq-server'],
    ['/usr/bin/epmd', 'epmd comes with rabbitmq-server (erlang-base)'],
    ['/usr/bin/openssl', 'apt-get install -y openssl'],
  ];
  for (const [file, how] of need) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      return `${file} is missing (${how})`;
    }
  }
  return undefined;
}

export class RabbitMQ {
  private constructor(
    /** The state directory (configuration, mnesia, logs, certificates). */
    readonly dir: string,
    /** The AMQP port on 127.0.0.1. */
    readonly port: number,
    /** The TLS port (its certificate names localhost and 127.0.0.1). */
    readonly tlsPort: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts a RabbitMQ and waits until it answers AMQP 1.0. */
  static async start(): Promise<RabbitMQ> {
    const missing = rabbitmqMissing();
    if (missing !== undefined) throw new Error(missing);
    const dir = mkdtempSync(join(tmpdir(), 'proton-ts-rabbitmq-'));
    const [port, tlsPort, distPort, epmdPort] = await distinctFreePorts(4);
    const env = {
      ...process.env,
      RMQ_DIR: dir,
      RMQ_PORT: String(port),
      RMQ_TLS_PORT: String(tlsPort),
      RMQ_DIST_PORT: String(distPort),
      RMQ_EPMD_PORT: String(epmdPort),
      RMQ_WAIT_S: '90',
    };
    const rmq = new RabbitMQ(dir, port, tlsPort, env);
    process.once('exit', rmq.onExit);
    try {
      await rmq.script('start');
      await rmq.script('wait');
    } catch (e) {
      await rmq.stop();
      throw e;
    }
    return rmq;
  }

  /** The CA that signed the TLS listener's certificate. */
  get caFile(): string {
    return join(this.dir, 'tls', 'ca.pem');
  }

  /** `amqp://[user:password@]127.0.0.1:port`. */
  url(credentials?: { user: string; password: string }): string {
    const who = credentials === undefined ? '' : `${credentials.user}:${credentials.password}@`;
    return `amqp://${who}127.0.0.1:${this.port}`;
  }

  /** Stops the broker and its epmd, keeping the state. */
  async halt(): Promise<void> {
    await this.script('stop');
  }

  /** Starts it again on the same ports and state, and waits until it is ready. */
  async resume(): Promise<void> {
    await this.script('start');
    await this.script('wait');
  }

  /** Stops everything and deletes the state directory. */
  async stop(): Promise<void> {
    process.off('exit', this.onExit);
    try {
      await this.script('stop');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /**
   * Should the test process end without `stop()` (an uncaught error, a run cut short), the processes the
   * script recorded are signalled on the way out; the server script's own SIGTERM handler then stops
   * the Erlang VM. Only those recorded PIDs are touched.
   */
  private readonly onExit = (): void => {
    for (const name of ['server', 'epmd']) {
      try {
        process.kill(Number(readFileSync(join(this.dir, `${name}.pid`), 'utf8')), 'SIGTERM');
      } catch {
        // Not running, or never recorded.
      }
    }
  };

  /** rabbitmqctl's output for `args`, against this node. */
  async ctl(...args: string[]): Promise<string> {
    return this.script('ctl', ...args);
  }

  /** The number of ready messages of each queue, by name (RabbitMQ's own count). */
  async queueDepths(): Promise<Map<string, number>> {
    const out = await this.ctl('list_queues', '--quiet', '--no-table-headers', 'name', 'messages_ready');
    const depths = new Map<string, number>();
    for (const line of out.split('\n')) {
      const m = /^(\S+)\s+(\d+)$/.exec(line.trim());
      if (m !== null) depths.set(m[1]!, Number(m[2]));
    }
    return depths;
  }

  private async script(...args: string[]): Promise<string> {
    const { stdout } = await run('bash', [RABBITMQ_SCRIPT, ...args], {
      env: this.env,
      timeout: 120_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    return stdout;
  }
}

/** `n` free ports, all different (each is freed before the next is asked for). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}
