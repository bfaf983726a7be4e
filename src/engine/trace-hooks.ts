/** Frame tracing points of the transport: each frame in and out, formatted only when a tracer is set. */
import type { Transport } from './transport.js';

/** Traces a protocol header. */
export function traceHeader(t: Transport, direction: '->' | '<-', header: Uint8Array): void {
  const id = header[4] === 3 ? 'SASL' : header[4] === 2 ? 'TLS' : 'AMQP';
  t.tracer?.(`[${t.server ? 'server' : 'client'}]: ${direction} ${id}`);
}

/** Traces a frame (its bytes, header included). */
export function traceFrame(t: Transport, direction: '->' | '<-', frame: Uint8Array, type: number): void {
  t.tracer?.(
    `[${t.server ? 'server' : 'client'}]:${frame[6]! * 256 + frame[7]!} ${direction} ${type === 1 ? 'SASL ' : ''}${frame.length} bytes`,
  );
}
