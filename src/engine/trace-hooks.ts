/**
 * The transport's frame tracing points: each header and frame in and out, formatted as Proton's
 * PN_TRACE_FRM output, and only when a tracer is set (formatting costs; the check comes first).
 */
import { readValue } from '../codec/composites.js';
import { Decoder } from '../codec/decoder.js';
import { formatFrame, traceHeaderLine, traceLine, tracePrefix } from './trace.js';
import type { Transport } from './transport.js';

let nextId = 1;
const ids = new WeakMap<Transport, string>();

function prefix(t: Transport): string {
  let p = ids.get(t);
  if (p === undefined) {
    p = tracePrefix(nextId++);
    ids.set(t, p);
  }
  return p;
}

/** Traces a protocol header. */
export function traceHeader(t: Transport, direction: '->' | '<-', header: Uint8Array): void {
  if (header[4] === 2) return; // Proton prints no line for a TLS header
  t.tracer?.(traceHeaderLine(direction, header[4] === 3 ? 'SASL' : 'AMQP', prefix(t)));
}

/** Traces a frame (its bytes, header included). */
export function traceFrame(t: Transport, direction: '->' | '<-', frame: Uint8Array, _type: number): void {
  const channel = (frame[6]! << 8) | frame[7]!;
  const bodyStart = frame[4]! * 4;
  let text: string;
  if (bodyStart >= frame.length) {
    text = formatFrame(undefined);
  } else {
    try {
      const d = new Decoder(frame, {}, bodyStart);
      const body = readValue(d);
      text = formatFrame(body as object, frame.subarray(d.pos));
    } catch {
      text = `(undecodable frame of ${frame.length} bytes)`;
    }
  }
  t.tracer?.(traceLine(direction, channel, text, prefix(t)));
}
