/**
 * The broker benchmark: P producers and P consumers (separate processes, proton-ts's SEND and
 * consume.js) through one queue of a broker, 100-byte messages, at-least-once both ways. The rate is
 * every message received over the time from the first arrival at any consumer to the last at any.
 * Brokers: ours (broker-server.js), Proton Python's example broker, RabbitMQ 3.10 with its AMQP 1.0
 * plugin (started in its own state dir by the interop suite's test/interop/peers/rabbitmq.sh), each where
 * available.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median, spreadPct } from './stats.js';

export interface BrokerTarget {
  name: string;
  /** Starts the broker; resolves to its port and a stop function. */
  start(): Promise<{ port: number; stop(): Promise<void> }>;
  /** The queue's address at this broker. */
  address: string;
}

interface Proc {
  child: ChildProcess;
  out: string;
  exited: Promise<number>;
}

function run(cmd: string, args: readonly string[]): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, out: '', exited: Promise.resolve(0) };
  child.stdout?.on('data', (d: Buffer) => {
    p.out += d.toString();
  });
  child.stderr?.on('data', () => {});
  p.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return p;
}

function lastJson(text: string): Record<string, number> | undefined {
  for (const line of text.trim().split('\n').reverse()) {
    try {
      return JSON.parse(line) as Record<string, number>;
    } catch {}
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free port on 127.0.0.1 (the broker binds it next). */
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

/** Waits until something accepts connections on the port. */
export async function waitPort(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 3000);
  await p.exited;
  clearTimeout(t);
}

/** `n` free ports, all different (each is closed before the next is asked for, so one could come twice). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Our broker, Proton Python's example broker, RabbitMQ: those that can run here. */
export function brokerTargets(dir: string, notes: string[]): BrokerTarget[] {
  const spawned = (name: string, cmd: string, args: (port: number) => string[]): BrokerTarget => ({
    name,
    address: 'bench',
    async start() {
      const port = await freePort();
      const p = run(cmd, args(port));
      if (!(await waitPort(port, 10000))) {
        await stopProc(p);
        throw new Error(`${name} did not listen`);
      }
      return { port, stop: () => stopProc(p) };
    },
  });
  const targets = [
    spawned('proton-ts broker', process.execPath, (port) => [
      join(dir, 'broker-server.js'),
      '--listen',
      `127.0.0.1:${port}`,
    ]),
  ];
  const pyBroker = '/usr/share/proton/examples/python/broker.py';
  if (existsSync(pyBroker) && spawnSync('/usr/bin/python3', ['-c', 'import proton']).status === 0) {
    targets.push(
      spawned('Proton Python broker.py', '/usr/bin/python3', (port) => [pyBroker, '-a', `127.0.0.1:${port}`]),
    );
  } else notes.push('Proton Python broker skipped: no python3-qpid-proton or its examples');
  // The interop suite's own script (test/interop/peers), from the project root (this file is in dist/bench).
  const rmq = join(dir, '..', '..', 'test', 'interop', 'peers', 'rabbitmq.sh');
  if (existsSync(rmq) && existsSync('/usr/sbin/rabbitmq-server')) {
    targets.push({
      name: 'RabbitMQ 3.10 (amqp1_0)',
      address: '/queue/bench',
      async start() {
        // Every port its own: the script's default Erlang distribution port (the AMQP port + 20000) is
        // past 65535 for half the ports the system gives out.
        const [port, distPort, epmdPort] = await distinctFreePorts(3);
        const env = {
          ...process.env,
          RMQ_PORT: String(port),
          RMQ_TLS_PORT: 'none',
          RMQ_DIST_PORT: String(distPort),
          RMQ_EPMD_PORT: String(epmdPort),
          RMQ_WAIT_S: '90',
          RMQ_DIR: join(process.env.BENCH_SCRATCH ?? '/tmp/amqp-bench', 'rabbitmq'),
        };
        // Run from outside the project: an Erlang node that fails to boot leaves erl_crash.dump where it ran.
        const ok = spawnSync('bash', [rmq, 'start'], { env, cwd: tmpdir(), stdio: 'ignore' }).status === 0;
        if (!ok || spawnSync('bash', [rmq, 'wait'], { env, cwd: tmpdir(), stdio: 'ignore' }).status !== 0) {
          spawnSync('bash', [rmq, 'stop'], { env, cwd: tmpdir(), stdio: 'ignore' });
          throw new Error('RabbitMQ did not start');
        }
        return {
          port,
          async stop() {
            spawnSync('bash', [rmq, 'stop'], { env, cwd: tmpdir(), stdio: 'ignore' });
          },
        };
      },
    });
  } else notes.push('RabbitMQ skipped: no rabbitmq-server (apt-get install rabbitmq-server)');
  return targets;
}

/** One run: P consumers attach, then P producers send `total` messages between them. Messages/s. */
async function brokerRun(
  dir: string,
  port: number,
  address: string,
  p: number,
  total: number,
): Promise<number> {
  const url = `amqp://127.0.0.1:${port}/${address}`;
  const share = Math.floor(total / p);
  const consumers: Proc[] = [];
  for (let i = 0; i < p; i++) {
    consumers.push(
      run(process.execPath, [
        join(dir, 'consume.js'),
        '--url',
        url,
        '--count',
        String(total),
        '--credit',
        '100',
        '--idle-ms',
        '1500',
      ]),
    );
  }
  await sleep(700);
  const producers: Proc[] = [];
  for (let i = 0; i < p; i++) {
    producers.push(
      run(process.execPath, [join(dir, 'send.js'), '--url', url, '--count', String(share), '--size', '100']),
    );
  }
  const deadline = setTimeout(() => {
    for (const x of [...producers, ...consumers]) x.child.kill('SIGKILL');
  }, 180_000);
  await Promise.all(producers.map((x) => x.exited));
  await Promise.all(consumers.map((x) => x.exited));
  clearTimeout(deadline);
  let msgs = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const c of consumers) {
    const j = lastJson(c.out);
    if (j === undefined || !j.msgs) continue;
    msgs += j.msgs;
    first = Math.min(first, j.first_ms!);
    last = Math.max(last, j.last_ms!);
  }
  if (msgs < share * p) return Number.NaN;
  return msgs / ((last - first) / 1000);
}

/**
 * Runs every target at 1×1 and 4×4, `runs` times each, in rounds: the brokers are started together and
 * each round runs each of them once at each size (the order reversed every other round), so that a slow
 * spell of the host falls on all the brokers alike (see runHarnessRounds); a broker is started once, as
 * one is in use, not cold for every run. Returns the markdown table and the median rates.
 */
export async function brokerSuite(
  dir: string,
  targets: readonly BrokerTarget[],
  total: number,
  runs: number,
): Promise<{ table: string; rates: Map<string, number> }> {
  const measured = new Map<string, number[]>();
  const startFailures = new Map<string, string>();
  const running: { target: BrokerTarget; port: number; stop(): Promise<void> }[] = [];
  try {
    for (const t of targets) {
      try {
        running.push({ target: t, ...(await t.start()) });
      } catch (e) {
        startFailures.set(t.name, (e as Error).message);
      }
    }
    for (let round = 1; round <= runs; round++) {
      const order = round % 2 === 1 ? running : [...running].reverse();
      for (const { target: t, port } of order) {
        for (const p of [1, 4]) {
          const r = await brokerRun(dir, port, t.address, p, total);
          process.stderr.write(`broker ${t.name} ${p}x${p} round ${round}/${runs}: ${fmt(r)} msg/s\n`);
          const key = `${t.name} ${p}x${p}`;
          measured.set(key, [...(measured.get(key) ?? []), r]);
        }
      }
    }
  } finally {
    for (const r of running) await r.stop();
  }
  const rows = [
    '| broker | producers × consumers | msgs/s (median) | min–max | spread | runs |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const rates = new Map<string, number>();
  for (const t of targets) {
    const failure = startFailures.get(t.name);
    if (failure !== undefined) {
      rows.push(`| ${t.name} | - | failed to start: ${failure} | | | |`);
      continue;
    }
    for (const p of [1, 4]) {
      const ok = (measured.get(`${t.name} ${p}x${p}`) ?? []).filter((x) => Number.isFinite(x));
      rates.set(`${t.name} ${p}x${p}`, median(ok));
      rows.push(
        `| ${t.name} | ${p} × ${p} | ${fmt(median(ok))} | ${ok.length ? `${fmt(Math.min(...ok))}–${fmt(Math.max(...ok))}` : '-'} | ${spreadPct(ok)} | ${ok.length}/${runs} |`,
      );
    }
  }
  return { table: rows.join('\n'), rates };
}
