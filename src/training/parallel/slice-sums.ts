import { FaceClassificationError } from '../../errors.js';
import type { SliceSums } from '../architectures/batch-norm.js';

/** Longest vector one exchange carries (a batch norm's two sums of 1024 channels, plus a count). */
const CAPACITY = 2 * 1024 + 1;
/** A thread that never arrives (it failed): give up instead of waiting for ever. */
const BARRIER_TIMEOUT_MS = 120_000;
const ARRIVED = 0;
const GENERATION = 1;

/** Memory the threads of one batch share for SharedSliceSums: a barrier and one slot per thread. */
export function sliceSumsBuffer(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(8 + threads * CAPACITY * 8);
}

/**
 * Sums of per-channel vectors across the threads computing one batch (synchronised batch norm):
 * each thread writes its vector into its slot, waits for all, and adds the slots in slot order, so
 * every thread gets the same sum, bit for bit. A second barrier keeps the slots until all have read.
 * Atomics.wait blocks the thread, which is what a synchronous TF.js op needs (Node allows it on
 * the main thread too).
 */
export class SharedSliceSums implements SliceSums {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;

  /** `participants` threads take part in this batch; this one writes slot `rank`. */
  constructor(buffer: SharedArrayBuffer, private readonly participants: number, private readonly rank: number) {
    this.control = new Int32Array(buffer, 0, 2);
    this.slots = new Float64Array(buffer, 8);
    if (this.slots.length < participants * CAPACITY) throw new Error(`slice sums: the buffer holds fewer than ${participants} slots`);
  }

  add(local: Float32Array): Float32Array {
    if (local.length > CAPACITY) throw new FaceClassificationError(`synchronised batch norm: ${local.length} values per exchange, at most ${CAPACITY} (a layer of more than 1024 channels)`);
    this.slots.set(local, this.rank * CAPACITY);
    this.barrier();
    const total = new Float64Array(local.length);
    for (let t = 0; t < this.participants; t++) {
      const at = t * CAPACITY;
      for (let i = 0; i < local.length; i++) total[i]! += this.slots[at + i]!;
    }
    this.barrier();
    return Float32Array.from(total);
  }

  private barrier(): void {
    const generation = Atomics.load(this.control, GENERATION);
    if (Atomics.add(this.control, ARRIVED, 1) === this.participants - 1) {
      Atomics.store(this.control, ARRIVED, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
      return;
    }
    const deadline = Date.now() + BARRIER_TIMEOUT_MS;
    while (Atomics.load(this.control, GENERATION) === generation) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.control, GENERATION, generation, left) === 'timed-out') {
        throw new FaceClassificationError(`synchronised batch norm: a gradient thread did not arrive within ${BARRIER_TIMEOUT_MS / 1000} s (it failed or stopped)`);
      }
    }
  }
}
