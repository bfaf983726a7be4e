/**
 * Memory for the bytes of incoming messages put together from several pieces, each message in memory of
 * its own (the application keeps the body).
 *
 * A receiver of large messages allocates and frees a megabyte or more per message, and with glibc's
 * malloc (Linux) that memory kept going back to the kernel and coming again: glibc serves a request
 * above its mmap threshold with a fresh mapping, and trims the heap's free top above twice that
 * threshold, and the threshold only follows the largest block freed so far (`man mallopt`, "dynamic
 * mmap threshold"). The garbage collector frees a few dozen messages at a time, so a 1 MiB receiver had
 * its memory page-faulted in again and again: 23-57 faults a message, and 0.33-0.44 ms of system time a
 * message against Proton C's ~0.19.
 *
 * So the first time a large message arrives, one block the size of glibc's largest dynamic threshold
 * (32 MiB, less than its limit) is allocated and dropped, never written: freed, it raises the threshold
 * to its size, as freeing any such block would, and the messages' memory is then reused from the heap:
 * ~9 faults a message, Node's start-up included, 0.28-0.33 ms of system time, and the 1 MiB pair of
 * proton-ts processes 14 % faster (six alternating runs). The cost: glibc then keeps up to 64 MiB of
 * freed heap memory, as it would after any process freed such a block. The block is not touched, so it
 * takes address space, not memory. Other allocators ignore it.
 */

/** Messages from this size on prime the allocator: glibc's initial mmap threshold (128 KiB). */
export const LARGE_MEMORY_MIN = 128 * 1024;

/** glibc's largest dynamic mmap threshold is 32 MiB (64-bit): a block freed must not exceed it. */
const PRIME_SIZE = 32 * 1024 * 1024 - 64 * 1024;

let primed = false;

/** Memory for `size` bytes of a message (not zeroed); the first of LARGE_MEMORY_MIN or more primes. */
export function messageMemory(size: number): Buffer {
  if (!primed && size >= LARGE_MEMORY_MIN) {
    primed = true;
    // Allocated and dropped at once: the collector frees it (see above). Not zeroed, so never touched.
    Buffer.allocUnsafeSlow(PRIME_SIZE);
  }
  return Buffer.allocUnsafe(size);
}

/** @internal For tests: whether the allocator was primed. */
export function messageMemoryPrimed(): boolean {
  return primed;
}
