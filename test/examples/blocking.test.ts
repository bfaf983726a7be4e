/**
 * examples/helloworld_blocking against our embedded broker and against Proton Python's broker.py, run as
 * a child process: it prints what Proton's helloworld_blocking.py prints.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/index.js';
import { Container } from '../../src/index.js';
import { isListening, sleep } from '../support/container-harness.js';
import { requireProton } from '../support/proton-python.js';
import { PythonPeer } from '../support/python-peer.js';
import { freePort } from '../support/socket-driver.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/helloworld_blocking.js', import.meta.url));

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let container: Container;
let running: Promise<void>;
let hostPort: string;

before(async () => {
  container = new Container(new Broker(), { containerId: 'blocking-example-broker' });
  const acceptor = await container.listen('127.0.0.1:0');
  running = container.run();
  hostPort = `127.0.0.1:${acceptor.port}`;
});
after(async () => {
  container.stop();
  await running.catch(() => {});
});

test('helloworld_blocking prints Hello World! (our broker)', async () => {
  const r = await run(process.execPath, [EXAMPLE, '-a', `${hostPort}/hello-blocking`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Hello World!\n');
});

test('helloworld_blocking prints Hello World! (Proton Python broker.py)', async (t) => {
  if (!requireProton(t)) return;
  const port = await freePort();
  const broker = new PythonPeer('broker.py', ['-a', `127.0.0.1:${port}`]);
  try {
    const deadline = Date.now() + 10_000;
    while (!(await isListening(port))) {
      assert.ok(broker.running && Date.now() < deadline, `broker.py did not start: ${broker.stderr}`);
      await sleep(50);
    }
    const r = await run(process.execPath, [EXAMPLE, '-a', `127.0.0.1:${port}/examples`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Hello World!\n');
  } finally {
    await broker.dispose();
  }
});

test('a refused connection makes helloworld_blocking fail with ConnectionClosed', async () => {
  const port = await freePort();
  const r = await run(process.execPath, [EXAMPLE, '-a', `127.0.0.1:${port}/examples`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ConnectionClosed/);
});
