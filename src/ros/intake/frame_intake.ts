/**
 * From the subscription callback to the worker: each message is counted, put in the one-slot
 * mailbox (newest frame wins; a frame replaced while waiting is counted as dropped) and the worker
 * drains it one frame at a time. Memory stays bounded by one waiting and one working frame however
 * fast the camera is. `receive` never throws: it runs inside rclnodejs's executor, where an exception
 * would end the process. ROS-free, so the soak run drives exactly this path.
 *
 * The same worker runs one-off jobs (the ~/classify service, `request`): the frames and the jobs'
 * work on this thread are serialised on one worker, a job waiting behind at most the frame in work and
 * a frame behind at most one job. Work a job hands to the thread pool runs `alongside` the worker,
 * and `idle` waits for it too, so that nothing frees the pipeline under it.
 */
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { FrameStats } from '../runtime/diagnostics.js';
import type { FrameJob } from './frame_handler.js';
import { LatestFrame, type SideLane } from './latest_frame.js';

export interface FrameIntakeOptions {
  /** Processes one frame (FrameHandler.handle); must not throw or reject, but is guarded anyway. */
  work: (job: FrameJob) => void | Promise<unknown>;
  stats: FrameStats;
  log: Logger;
  /**
   * Event-loop turns to wait before taking the next frame (the subscription's queue depth): rclnodejs
   * delivers one message per executor wakeup, so frames that queued in the middleware while one was
   * processed arrive over a few turns, and the newest of them should be the one processed. 0: none.
   */
  settleRounds: () => number;
  now?: () => number;
}

export class FrameIntake {
  private readonly mailbox = new LatestFrame<FrameJob>();
  private readonly now: () => number;
  /** The last message received, processed or not (the empty ~/classify request uses it). */
  private latest: FrameJob | undefined;
  /** One-off jobs waiting for the worker, oldest first; each wrapper settles its caller's promise and never rejects. */
  private readonly jobs: (() => Promise<void>)[] = [];
  /** Work started by jobs that runs beside the worker (`alongside`). */
  private readonly beside = new Set<Promise<unknown>>();
  private readonly side: SideLane = {
    pending: () => this.jobs.length > 0,
    runNext: async () => {
      await this.jobs.shift()?.();
    },
  };

  constructor(private readonly options: FrameIntakeOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  receive(message: FrameJob['message'], compressed: boolean): void {
    try {
      const arrival = this.now();
      this.options.stats.input(arrival);
      const job = { message, compressed, arrival };
      this.latest = job;
      if (this.mailbox.put(job)) this.options.stats.drop();
      this.pump();
    } catch (error) {
      this.failed(error);
    }
  }

  /** The newest message received (also one replaced before it was processed); none before the first or after clear(). */
  get newest(): FrameJob | undefined {
    return this.latest;
  }

  /**
   * Run `task` on the frame worker: after the frame in work, if any, and before the next one. The
   * promise settles with what the task returns or throws.
   */
  request<T>(task: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(async () => {
        try {
          resolve(await task());
        } catch (error) {
          reject(error);
        }
      });
      this.pump();
    });
  }

  /**
   * Let `work` (started by a job, e.g. a scan on the thread pool) run beside the worker, the frames
   * going on meanwhile; `idle` waits for it. Returns `work`.
   */
  alongside<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.beside.add(tracked);
    void tracked.then(() => this.beside.delete(tracked));
    return work;
  }

  /** Jobs given to `request` that have not started yet. */
  get waitingRequests(): number {
    return this.jobs.length;
  }

  private pump(): void {
    this.mailbox.drain((job) => this.run(job), () => this.settle(), this.side).catch((error: unknown) => this.failed(error));
  }

  /** Frames offered and frames replaced unprocessed, since start. */
  get counts(): { received: number; dropped: number } {
    return { received: this.mailbox.received, dropped: this.mailbox.dropped };
  }

  /** Forget a waiting frame and the newest one (deactivate); not counted as dropped. Waiting jobs still run. */
  clear(): void {
    this.mailbox.clear();
    this.latest = undefined;
  }

  /** Resolves when no frame, job or work alongside them is in progress. */
  async idle(): Promise<void> {
    do {
      await Promise.all([this.mailbox.idle(), ...this.beside]);
    } while (this.mailbox.working || this.beside.size > 0);
  }

  private async run(job: FrameJob): Promise<void> {
    try {
      await this.options.work(job);
    } catch (error) {
      this.failed(error);
    }
  }

  private async settle(): Promise<void> {
    const rounds = this.options.settleRounds();
    for (let round = 0; round <= rounds && rounds > 0; round++) {
      const before = this.mailbox.received;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (this.mailbox.received === before) return;
    }
  }

  private failed(error: unknown): void {
    try {
      this.options.log.error({ reason: errorMessage(error) }, 'frame worker failed');
    } catch {
      // Logging must not take the executor down either.
    }
  }
}
