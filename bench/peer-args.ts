/**
 * What the contract commands (recv, send, rr-server, rr-client) share: their arguments as the shared
 * harness passes them (bench contract in ../shared/bench/README.md), the latency summary, and a hard
 * stop so that a wedged peer never outlives the harness's own timeout.
 */
import type { Acceptor, Container } from '../src/index.js';

/** The options of the contract's commands; each command reads the ones it needs. */
export interface PeerArgs {
  host: string;
  port: number;
  address: string;
  count: number;
  size: number;
  credit: number;
  warmup: number;
  presettled: boolean;
  /** RECV only: microseconds of busy work per message, to play a slow receiver. */
  workUs: number;
}

/** Parses `--listen H:P`, `--url amqp://H:P/ADDR`, `--count`, `--size`, `--credit`, `--warmup`, `--presettled`. */
export function parsePeerArgs(argv: readonly string[] = process.argv.slice(2)): PeerArgs {
  const o: PeerArgs = {
    host: '127.0.0.1',
    port: 5672,
    address: 'bench',
    count: 100_000,
    size: 100,
    credit: 1000,
    warmup: 500,
    presettled: false,
    workUs: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--presettled') {
      o.presettled = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`missing value for ${a}`);
    switch (a) {
      case '--listen': {
        const m = /^(.*):(\d+)$/.exec(v);
        if (!m) throw new Error(`bad --listen ${v}`);
        o.host = m[1]!;
        o.port = Number(m[2]);
        break;
      }
      case '--url': {
        const m = /^(?:amqp:\/\/)?([^/]*):(\d+)(?:\/(.*))?$/.exec(v);
        if (!m) throw new Error(`bad --url ${v}`);
        o.host = m[1]!;
        o.port = Number(m[2]);
        o.address = m[3] || 'bench';
        break;
      }
      case '--count':
        o.count = Number(v);
        break;
      case '--size':
        o.size = Number(v);
        break;
      case '--credit':
        o.credit = Number(v);
        break;
      case '--warmup':
        o.warmup = Number(v);
        break;
      case '--work-us':
        o.workUs = Number(v);
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

/** Monotonic nanoseconds. */
export const nowNs = (): bigint => process.hrtime.bigint();

/** Sets the exit code, and exits for sure after `ms` even if some handle is still open. */
export function exitSoon(code: number, ms = 3000): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), ms).unref();
}

/** Listens on `--listen`; `got` receives the acceptor, and a failure to listen ends the process (status 1). */
export function listenOrExit(container: Container, o: PeerArgs, got: (a: Acceptor) => void): void {
  container.listen(`${o.host}:${o.port}`).then(got, (e: Error) => {
    process.stderr.write(`listen: ${e.message}\n`);
    exitSoon(1, 100);
  });
}

/** The contract's latency line: nearest-rank percentiles of the samples (ns), in microseconds. */
export function summarize(samplesNs: Float64Array, seconds: number): Record<string, number> {
  const s = Float64Array.from(samplesNs).sort();
  const n = s.length;
  const pct = (p: number) => s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]! / 1000;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i]!;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    n,
    median_us: r2(pct(50)),
    p90_us: r2(pct(90)),
    p99_us: r2(pct(99)),
    mean_us: r2(sum / n / 1000),
    min_us: r2(s[0]! / 1000),
    max_us: r2(s[n - 1]! / 1000),
    seconds,
    rate: n / seconds,
  };
}

/** Writes `x` as the one JSON line the harness reads. */
export function printJson(x: object): void {
  process.stdout.write(`${JSON.stringify(x)}\n`);
}
