/**
 * The peer benchmarks without the shared harness (a user's clone): proton-ts's own RECV/SEND and
 * RR_SERVER/RR_CLIENT against each other, run the harness's way (listener first, then the connecting
 * peer), the results in the harness's row shape so the same report reads them. Peak RSS comes from
 * each peer's own `max_rss_kb`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitPort } from './broker-suite.js';
import type { HarnessRow } from './report.js';
import { median } from './stats.js';

interface Out {
  code: number;
  json: Record<string, number> | undefined;
}

function runPeer(args: readonly string[]): Promise<Out> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      let json: Record<string, number> | undefined;
      for (const line of out.trim().split('\n').reverse()) {
        try {
          json = JSON.parse(line) as Record<string, number>;
          break;
        } catch {}
      }
      resolve({ code: code ?? 1, json });
    });
  });
}

async function pair(
  dir: string,
  server: string,
  serverArgs: string[],
  client: string,
  clientArgs: (port: number) => string[],
) {
  const port = await freePort();
  const s = runPeer([join(dir, server), '--listen', `127.0.0.1:${port}`, ...serverArgs]);
  await waitPort(port, 10_000);
  const c = await runPeer([join(dir, client), ...clientArgs(port)]);
  return { server: await s, client: c };
}

const stat = (xs: number[]) => {
  const ok = xs.filter((x) => Number.isFinite(x));
  return { median: median(ok), min: Math.min(...ok), max: Math.max(...ok), pct: null };
};

async function throughput(
  dir: string,
  runs: number,
  count: number,
  size: number,
  opts: { presettled?: boolean; credit?: number; receiver?: string; label?: string },
): Promise<HarnessRow> {
  const rates: number[] = [];
  const recvRss: number[] = [];
  const sendRss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const extra = opts.receiver === 'proton-ts-slow' ? ['--work-us', '25'] : [];
    const r = await pair(
      dir,
      'recv.js',
      ['--count', String(count), '--credit', String(opts.credit ?? 1000), ...extra],
      'send.js',
      (port) => [
        '--url',
        `amqp://127.0.0.1:${port}/bench`,
        '--count',
        String(count),
        '--size',
        String(size),
        ...(opts.presettled ? ['--presettled'] : []),
      ],
    );
    const ok = r.server.code === 0 && r.server.json?.msgs === count;
    process.stderr.write(
      `own ${count}x${size} ${opts.label ?? ''} run ${i + 1}: ${ok ? Math.round(r.server.json!.rate!) : 'FAILED'}\n`,
    );
    if (!ok) continue;
    rates.push(r.server.json!.rate!);
    recvRss.push(r.server.json!.max_rss_kb ?? Number.NaN);
    sendRss.push(r.client.json?.max_rss_kb ?? Number.NaN);
  }
  return {
    suite: 'throughput',
    sender: 'proton-ts',
    receiver: opts.receiver ?? 'proton-ts',
    count,
    size,
    presettled: !!opts.presettled,
    ...(opts.label ? { label: opts.label } : {}),
    runs_ok: rates.length,
    runs_total: runs,
    rate: stat(rates),
    mib_s: stat(rates.map((x) => (x * size) / 2 ** 20)),
    recv_rss_kb: stat(recvRss),
    send_rss_kb: stat(sendRss),
  };
}

async function latency(dir: string, runs: number, count: number): Promise<HarnessRow> {
  const med: number[] = [];
  const p99: number[] = [];
  const mean: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await pair(dir, 'rr-server.js', [], 'rr-client.js', (port) => [
      '--url',
      `amqp://127.0.0.1:${port}/rr`,
      '--count',
      String(count),
      '--size',
      '100',
    ]);
    if (r.client.code !== 0 || r.client.json?.n !== count) continue;
    med.push(r.client.json.median_us!);
    p99.push(r.client.json.p99_us!);
    mean.push(r.client.json.mean_us!);
  }
  return {
    suite: 'rr',
    server: 'proton-ts',
    client: 'proton-ts',
    count,
    runs_ok: med.length,
    runs_total: runs,
    median_us: stat(med),
    p99_us: stat(p99),
    mean_us: stat(mean),
  };
}

export async function ownPeerSuite(
  dir: string,
  o: { runs: number; n: number; big: number; rr: number; memN: number; memory: boolean; peers: boolean },
): Promise<HarnessRow[]> {
  const rows: HarnessRow[] = [];
  if (o.peers) {
    rows.push(await throughput(dir, o.runs, o.n, 100, {}));
    rows.push(await throughput(dir, o.runs, o.n, 100, { presettled: true }));
    rows.push(await throughput(dir, o.runs, o.big, 1048576, { credit: 10 }));
    rows.push(await latency(dir, o.runs, o.rr));
  }
  if (o.memory) {
    rows.push(await throughput(dir, o.runs, o.memN, 100, { label: 'memory: backlog' }));
    rows.push(
      await throughput(dir, o.runs, o.memN, 100, {
        receiver: 'proton-ts-slow',
        label: 'memory: slow receiver',
      }),
    );
  }
  return rows;
}
