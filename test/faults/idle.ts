/**
 * A frozen peer caught by the idle timeout, shared by the fault suites (test/faults/faults.test.ts,
 * test/interop/faults-proton-broker.test.ts): a client connects with a heartbeat, the test freezes the
 * path to the peer once the connection opens, and the times to detection and to the next open are
 * measured.
 */
import { Backoff, Container, type Event, MessagingHandler } from '../../src/index.js';

export interface FreezeFigures {
  /** From the freeze to the transport error, ms. */
  detectedMs: number;
  /** From the freeze to the next connection opened, ms. */
  reopenedMs: number;
  /** The transport error's condition, as `name: description`. */
  condition: string | undefined;
  /** The host name of each connection opened, in order. */
  opens: string[];
}

/**
 * Connects through `urls` (a failover list) with an idle timeout; calls `freeze` once the first
 * connection opens; resolves with the times of the loss and of the next opened connection (the
 * client gives up after 30 s).
 */
export async function freezeAndRecover(
  urls: string[],
  freeze: () => void,
  heartbeat: number,
): Promise<FreezeFigures> {
  const opens: string[] = [];
  let frozenAt = 0;
  let detectedAt = 0;
  let condition: string | undefined;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  let reopenedAt = 0;
  const handler = new (class extends MessagingHandler {
    override onStart(e: Event): void {
      e.container.connect({
        urls,
        heartbeat,
        reconnect: new Backoff({ initial: 10, maxDelay: 100 }),
      });
    }
    override onConnectionOpened(e: Event): void {
      opens.push(String(e.connection!.hostname ?? ''));
      if (opens.length === 1) {
        frozenAt = performance.now();
        freeze();
      } else {
        reopenedAt = performance.now();
        e.connection!.close();
        done();
      }
    }
    override onTransportError(e: Event): void {
      if (detectedAt === 0) {
        detectedAt = performance.now();
        condition = `${e.transport?.condition?.name}: ${e.transport?.condition?.description}`;
      }
    }
  })();
  const c = new Container(handler);
  const run = c.run();
  const limit = setTimeout(() => c.stop(), 30_000);
  await Promise.race([finished, run]);
  clearTimeout(limit);
  c.stop();
  await run;
  return { detectedMs: detectedAt - frozenAt, reopenedMs: reopenedAt - frozenAt, condition, opens };
}
