/**
 * From the subscription callback to the worker: each message is counted, put in the one-slot
 * mailbox (newest frame wins; a frame replaced while waiting is counted as dropped) and the worker
 * drains it one frame at a time. Memory stays bounded by one waiting and one working frame however
 * fast the camera is. `receive` never throws: it runs inside rclnodejs's executor, where an exception
 * would end the process. ROS-free, so the soak run drives exactly this path.
 */
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { FrameStats } from '../runtime/diagnostics.js';
import type { FrameJob } from './frame_handler.js';
import { LatestFrame } from './latest_frame.js';

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

  constructor(private readonly options: FrameIntakeOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  receive(message: FrameJob['message'], compressed: boolean): void {
    try {
      const arrival = this.now();
      this.options.stats.input(arrival);
      if (this.mailbox.put({ message, compressed, arrival })) this.options.stats.drop();
      this.mailbox.drain((job) => this.run(job), () => this.settle()).catch((error: unknown) => this.failed(error));
    } catch (error) {
      this.failed(error);
    }
  }

  /** Frames offered and frames replaced unprocessed, since start. */
  get counts(): { received: number; dropped: number } {
    return { received: this.mailbox.received, dropped: this.mailbox.dropped };
  }

  /** Forget a waiting frame (deactivate); not counted as dropped. */
  clear(): void {
    this.mailbox.clear();
  }

  /** Resolves when no frame is in work. */
  idle(): Promise<void> {
    return this.mailbox.idle();
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
