/**
 * Buffers lent to the encoding of large messages a sender sends, and taken back once the socket has
 * written them.
 *
 * A large message is encoded into one buffer of its size, which the transport writes as views (no
 * further copy). A fresh megabyte page-faults as it is first written, and is external memory the garbage
 * collector must find and free: reusing written buffers took a 1 MiB sender's system time from ~0.5 to
 * ~0.4 ms per message and its GC time from ~0.1 to ~0.02 ms (about a tenth of its CPU). So the
 * encoding of a message given to `Sender.send` (not `Message.encode`, whose result the caller keeps)
 * takes its buffer from here, and the buffer comes back when nothing can read it any more: its delivery
 * has handed all of its bytes to the transport ({@link releaseLent}), and the socket has written every
 * view of it the transport put in its output ({@link lentViewOut}, {@link lentViewWritten}). A buffer
 * that never comes back (its delivery aborted, its connection gone) is simply collected: the records
 * are weak.
 *
 * Bounded: at most {@link MAX_FREE_BYTES} are kept, none larger than that.
 */

/**
 * The method of a message object that encodes it for `Sender.send` into lent memory (`Message` has it).
 * `Sender.send` uses it, when present, in place of `encode()`.
 */
export const encodeToSend: unique symbol = Symbol('proton-ts encodeToSend');

/** No buffer smaller than this is lent (what is checked on the hot path can skip smaller ones). */
export const LENT_MIN = 64 * 1024;

/** The most memory kept for reuse, all buffers together. */
export const MAX_FREE_BYTES = 16 * 1024 * 1024;

/** What holds a lent buffer: its delivery (until it has handed its bytes on) and unwritten views. */
interface Loan {
  held: boolean;
  views: number;
}

const loans = new WeakMap<ArrayBufferLike, Loan>();
/** Buffers back from loans, oldest first. */
const free: Buffer[] = [];
let freeBytes = 0;

/**
 * A buffer of at least `size` bytes (and less than twice that), its own ArrayBuffer, lent until
 * {@link releaseLent} and the last {@link lentViewWritten} give it back.
 */
export function lendBuffer(size: number): Buffer {
  if (size < LENT_MIN) return Buffer.allocUnsafe(size);
  let pick = -1;
  for (let i = 0; i < free.length; i++) {
    const n = free[i]!.length;
    if (n >= size && n < size * 2 && (pick < 0 || n < free[pick]!.length)) pick = i;
  }
  let b: Buffer;
  if (pick >= 0) {
    b = free[pick]!;
    free.splice(pick, 1);
    freeBytes -= b.length;
  } else {
    b = Buffer.allocUnsafeSlow(size);
  }
  loans.set(b.buffer, { held: true, views: 0 });
  return b;
}

/** Whether `ab` is lent (and not yet back). */
export function isLent(ab: ArrayBufferLike): boolean {
  return loans.has(ab);
}

/** The transport output holds one more view of `ab` (a no-op for memory that is not lent). */
export function lentViewOut(ab: ArrayBufferLike): void {
  const loan = loans.get(ab);
  if (loan !== undefined) loan.views++;
}

/** A view of `ab` in the transport output was written: the socket no longer reads it. */
export function lentViewWritten(ab: ArrayBufferLike): void {
  const loan = loans.get(ab);
  if (loan === undefined || loan.views === 0) return;
  loan.views--;
  if (!loan.held && loan.views === 0) giveBack(ab);
}

/** The delivery of `ab` has handed all of its bytes to the transport (copied or as views). */
export function releaseLent(ab: ArrayBufferLike): void {
  const loan = loans.get(ab);
  if (loan === undefined || !loan.held) return;
  loan.held = false;
  if (loan.views === 0) giveBack(ab);
}

function giveBack(ab: ArrayBufferLike): void {
  loans.delete(ab);
  const b = Buffer.from(ab as ArrayBuffer);
  if (b.length > MAX_FREE_BYTES) return;
  free.push(b);
  freeBytes += b.length;
  while (freeBytes > MAX_FREE_BYTES) freeBytes -= free.shift()!.length;
}

/** @internal For tests: how many buffers and bytes are kept for reuse. */
export function lentBuffersFree(): { buffers: number; bytes: number } {
  return { buffers: free.length, bytes: freeBytes };
}
