import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Broker } from '../../src/broker/index.js';
import { main } from '../../src/cli/main.js';
import { PROGRESS_THRESHOLD, ProgressBar, progress } from '../../src/cli/progress.js';
import { Container } from '../../src/index.js';
import { runCli } from './harness.js';

/** A stream that keeps what is written; a terminal or not. */
class FakeStream {
  text = '';
  writes = 0;
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(s: string): boolean {
    this.text += s;
    this.writes++;
    return true;
  }
}

describe('progress bar', () => {
  it('draws on a terminal for long runs only', () => {
    const tty = new FakeStream(true);
    const pipe = new FakeStream(false);
    for (const [stream, total] of [
      [pipe, 5000],
      [tty, PROGRESS_THRESHOLD - 1],
    ] as const) {
      const p = progress(stream, 'send', total);
      for (let i = 1; i <= total; i++) p.update(i);
      p.finish();
      assert.equal(stream.text, '');
    }
    const p = progress(tty, 'send', PROGRESS_THRESHOLD);
    p.update(PROGRESS_THRESHOLD);
    assert.match(tty.text, /^\rsend \[#+\] 100% 1000\/1000/);
  });

  it('redraws at most every 100 ms, always at the end, fitted to the width, and clears its line', () => {
    let now = 0;
    const tty = new FakeStream(true, 60);
    const bar = new ProgressBar(tty, 'receive', 2000, () => now);
    bar.update(1);
    bar.update(2);
    now = 50;
    bar.update(3);
    assert.equal(tty.writes, 1, 'once in the first 100 ms');
    now = 1000;
    bar.update(1000);
    assert.equal(tty.writes, 2);
    const lines = tty.text.split('\r').filter((l) => l !== '');
    assert.equal(lines[1], 'receive [#############..............]  50% 1000/2000 1000/s');
    assert.ok(
      lines.every((l) => l.length <= 60),
      lines.join('|'),
    );
    now = 1001;
    bar.update(2000);
    assert.equal(tty.writes, 3, 'the last one is drawn however soon');
    assert.match(tty.text, /100% 2000\/2000/);
    bar.finish();
    assert.ok(tty.text.endsWith('\r\x1b[2K'));
    bar.update(2000);
    bar.finish();
    assert.equal(tty.writes, 4, 'nothing after finish');
  });
});

describe('send and receive --count 1000: the bar on a terminal stderr, never elsewhere', {
  timeout: 60_000,
}, () => {
  let container: Container;
  let running: Promise<void>;
  let url: string;

  before(async () => {
    container = new Container(new Broker());
    const acceptor = await container.listen('127.0.0.1:0');
    url = `127.0.0.1:${acceptor.port}`;
    running = container.run();
  });

  after(async () => {
    container.stop();
    await running;
  });

  it('in process, with a fake terminal for stderr', async () => {
    const stdout = new FakeStream(false);
    const stderr = new FakeStream(true);
    assert.equal(
      await main(['send', `${url}/bar`, '--count', '1000', '--presettled'], { stdout, stderr }),
      0,
    );
    assert.equal(stdout.text, '1000 messages sent (presettled)\n');
    assert.match(stderr.text, /\rsend \[#+\] 100% 1000\/1000/);
    assert.ok(stderr.text.endsWith('\r\x1b[2K'), 'the bar is wiped at the end');
    const out = new FakeStream(false);
    const err = new FakeStream(true);
    const code = await main(['receive', `${url}/bar`, '--count', '1000'], { stdout: out, stderr: err });
    assert.equal(code, 0, err.text.slice(-300));
    assert.equal(out.text.split('\n').length, 1001);
    assert.match(err.text, /\rreceive \[#+\] 100% 1000\/1000/);
  });

  it('a child whose stderr is a pipe: no bar', async () => {
    const s = await runCli(['send', `${url}/pipe`, '--count', '1000']);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(s.stdout, 'all messages confirmed\n');
    assert.equal(s.stderr, '');
    const r = await runCli(['receive', `${url}/pipe`, '--count', '1000']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.trim().split('\n').length, 1000);
  });
});
