/**
 * Framing: the protocol headers and the 8-byte frame header (size, data offset, type, channel). Frames
 * are written straight into the transport's output buffer; the performative is encoded in place and
 * the size filled in after.
 */
import type { ByteWriter } from '../codec/byte-writer.js';
import { writeComposite } from '../codec/composites.js';
import type { Encoder } from '../codec/encoder.js';

/** The protocol id byte of each header: AMQP 0, TLS 2, SASL 3. */
export const ProtocolId = { amqp: 0, tls: 2, sasl: 3 } as const;

function header(id: number): Buffer {
  return Buffer.from([0x41, 0x4d, 0x51, 0x50, id, 1, 0, 0]);
}

/** `AMQP 0 1.0.0` */
export const AMQP_HEADER = header(ProtocolId.amqp);
/** `AMQP 3 1.0.0` */
export const SASL_HEADER = header(ProtocolId.sasl);
/** `AMQP 2 1.0.0` */
export const TLS_HEADER = header(ProtocolId.tls);

/** Frame types. */
export const FrameType = { amqp: 0, sasl: 1 } as const;

/** The size of the frame header, and so of an empty (heartbeat) frame. */
export const FRAME_HEADER_SIZE = 8;
/** The smallest max-frame-size a peer may set (spec: MIN-MAX-FRAME-SIZE). */
export const MIN_MAX_FRAME_SIZE = 512;

/** The empty frame: a heartbeat. */
export const EMPTY_FRAME = Buffer.from([0, 0, 0, 8, 2, 0, 0, 0]);

/** What a protocol header says: which protocol and version, or that it is no AMQP header at all. */
export interface HeaderInfo {
  readonly valid: boolean;
  readonly protocolId: number;
  readonly version: string;
}

/** Reads an 8-byte protocol header. */
export function readHeader(b: Uint8Array, at: number): HeaderInfo {
  const valid = b[at] === 0x41 && b[at + 1] === 0x4d && b[at + 2] === 0x51 && b[at + 3] === 0x50;
  return { valid, protocolId: b[at + 4]!, version: `${b[at + 5]}.${b[at + 6]}.${b[at + 7]}` };
}

/** Whether a header is exactly the one for `protocolId`, version 1.0.0. */
export function isHeader(b: Uint8Array, at: number, protocolId: number): boolean {
  return (
    b[at] === 0x41 &&
    b[at + 1] === 0x4d &&
    b[at + 2] === 0x51 &&
    b[at + 3] === 0x50 &&
    b[at + 4] === protocolId &&
    b[at + 5] === 1 &&
    b[at + 6] === 0 &&
    b[at + 7] === 0
  );
}

/** Begins a frame at the writer's position; returns where it starts, for {@link endFrame}. */
export function beginFrame(w: ByteWriter, type: number, channel: number): number {
  w.ensure(FRAME_HEADER_SIZE);
  const start = w.pos;
  const b = w.buf;
  b[start + 4] = 2;
  b[start + 5] = type;
  b[start + 6] = channel >>> 8;
  b[start + 7] = channel & 0xff;
  w.pos = start + FRAME_HEADER_SIZE;
  return start;
}

/** Fills in the size of a frame begun at `start`. */
export function endFrame(w: ByteWriter, start: number): void {
  w.setU32(start, w.pos - start);
}

/** Writes a whole frame holding one performative (or SASL frame) and no payload. */
export function writeFrame(e: Encoder, type: number, channel: number, body: object): void {
  const start = beginFrame(e.w, type, channel);
  writeComposite(e, body);
  endFrame(e.w, start);
}
