/**
 * The one place that loads OpenCV's native binding (@u4/opencv4nodejs, built against the system's
 * OpenCV). Its CommonJS build is used: the ESM build imports a helper package that breaks under
 * npm's hoisting. The build helper's start-up chatter on stdout is silenced, since stdout carries
 * our JSON results.
 *
 * The binding's "external memory tracking" (a cv::Mat allocator that reports every allocation and
 * free to V8) is switched off: it calls into V8 from whichever thread frees a Mat, so a Mat freed on
 * the libuv pool (asynchronous scans) or during Node's exit corrupts V8's heap. Measured here: Node
 * aborted in garbage collection ("Check failed: marking_done_") with several asynchronous scans in
 * flight, and test processes segfaulted at exit in Isolate::AdjustAmountOfExternalAllocatedMemory
 * under cv::Mat::release. Without it, V8 does not see Mat memory; per-frame Mats are small and
 * short-lived, and the soak run shows RSS flat.
 */
import { createRequire } from 'node:module';
import type * as OpenCV from '@u4/opencv4nodejs';

export type { Mat, Rect } from '@u4/opencv4nodejs';

const require = createRequire(import.meta.url);

function load(): typeof OpenCV.cv {
  process.env.OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING ??= '1';
  try {
    const requireFromBinding = createRequire(require.resolve('@u4/opencv4nodejs'));
    const buildHelper = requireFromBinding('@u4/opencv-build') as { Log?: { silence: boolean } };
    if (buildHelper.Log) buildHelper.Log.silence = true;
  } catch {
    // The helper only prints; without it the binding still loads.
  }
  try {
    return require('@u4/opencv4nodejs') as typeof OpenCV.cv;
  } catch (error) {
    throw new Error(
      `OpenCV binding @u4/opencv4nodejs failed to load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); ` +
        'install libopencv-dev and run scripts/install.sh to build it',
    );
  }
}

export const cv: typeof OpenCV.cv = load();

/**
 * Copy `source`'s pixels into `target` (a view of a larger image, usually). The binding's copyTo
 * returns a second handle on `target`'s pixels that holds them until it is collected, and the
 * collector does not see Mat memory (see above): measured, a frame's copy per frame kept 0.9 MB a
 * frame alive, 180 MB in 200 frames. That handle is freed here at once.
 */
export function copyInto(source: OpenCV.Mat, target: OpenCV.Mat): void {
  source.copyTo(target).release();
}
