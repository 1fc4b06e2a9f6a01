import { Worker } from 'node:worker_threads';
import { FaceClassificationError } from '../../errors.js';
import type { ChunkRequest, ChunkResult, WorkerReply, WorkerRequest } from './messages.js';
import type { ModelSpec } from './model-spec.js';

export type { ChunkRequest, ChunkResult } from './messages.js';

/** One worker thread and the answer it owes (a worker handles one request at a time). */
class GradientWorker {
  private pending: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly worker: Worker;

  constructor(index: number) {
    this.worker = new Worker(new URL('./gradient-worker.js', import.meta.url));
    this.worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.type === 'error') pending?.reject(new FaceClassificationError(`gradient worker ${index}: ${reply.message}`));
      else pending?.resolve(reply);
    });
    const fail = (error: Error): void => {
      this.failure = error;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    this.worker.on('error', (error) => fail(new FaceClassificationError(`gradient worker ${index} failed: ${error.message}`)));
    this.worker.on('exit', (code) => fail(new FaceClassificationError(`gradient worker ${index} exited (status ${code})`)));
  }

  request(message: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * Worker threads that compute gradients of batch slices for the trainer, each with its own wasm
 * backend (the wasm backend runs one thread: this is how a step uses more than one core).
 */
export class GradientPool {
  private nextId = 0;

  private constructor(private readonly workers: GradientWorker[]) {}

  /** Start `count` workers building the network `spec`; resolves when every one is ready. */
  static async start(count: number, spec: ModelSpec): Promise<GradientPool> {
    const workers = Array.from({ length: count }, (_, i) => new GradientWorker(i + 1));
    const pool = new GradientPool(workers);
    try {
      await Promise.all(workers.map((w) => w.request({ type: 'init', spec })));
    } catch (error) {
      await pool.terminate();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Send chunk i to worker i (fewer chunks than workers: the rest idle). The requests are posted
   * before this returns, so the caller can compute its own chunk while the workers run.
   */
  compute(chunks: readonly ChunkRequest[]): Promise<ChunkResult[]> {
    return Promise.all(chunks.map(async (chunk, i) => {
      const reply = await this.workers[i]!.request({ type: 'step', id: this.nextId++, ...chunk }, [chunk.x.buffer as ArrayBuffer, chunk.y.buffer as ArrayBuffer]);
      if (reply.type !== 'result') throw new FaceClassificationError(`gradient worker ${i + 1}: unexpected ${reply.type} reply`);
      return { loss: reply.loss, correct: reply.correct, grads: reply.grads };
    }));
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
