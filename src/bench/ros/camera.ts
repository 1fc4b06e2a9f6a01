/**
 * A benchmark camera in a process of its own: publishes a moving real face (a Scene made from the
 * test photos) as sensor_msgs/Image rgb8 at a fixed rate, each header stamped with the wall clock
 * at publish time, so a subscriber on this machine can measure stamp -> answer latency.
 * Started by bench_ros.ts: node dist/src/bench/ros/camera.js --ros-args -r __ns:=/bench
 * Settings by environment: BENCH_WIDTH, BENCH_HEIGHT, BENCH_RATE_HZ, BENCH_FACES, BENCH_PHOTOS, BENCH_PAN (1: the camera pans).
 * Frames carry a camera's sensor noise.
 */
import path from 'node:path';
import { cv } from '../../vision/opencv.js';
import { CAMERA_NOISE, CAMERA_PAN, Scene, loadFacePatches, movingFaces, photoBackground } from '../scene.js';
import { loadRclnodejs } from '../../ros/runtime/load_rclnodejs.js';

const width = Number(process.env.BENCH_WIDTH ?? 640);
const height = Number(process.env.BENCH_HEIGHT ?? 480);
const rateHz = Number(process.env.BENCH_RATE_HZ ?? 30);
const faces = Number(process.env.BENCH_FACES ?? 1);
const photos = process.env.BENCH_PHOTOS ?? '';
const pan = process.env.BENCH_PAN === '1' ? CAMERA_PAN : 0;

async function main(): Promise<void> {
  const rcl = loadRclnodejs();
  await rcl.init();
  const node = new rcl.Node('bench_camera');
  const publisher = node.createPublisher('sensor_msgs/msg/Image', 'camera/image');
  // A loop of 3 s of frames, converted to rgb8 once, so publishing costs this process little.
  const frames = Math.round(rateHz * 3);
  const patches = loadFacePatches(photos);
  const scene = new Scene({ width, height, frames, faces: movingFaces(faces, patches.length, width, height, frames), noise: CAMERA_NOISE, pan }, patches, photoBackground(path.join(photos, 'skimage_astronaut.png'), width, height));
  const buffers = Array.from({ length: frames }, (_, i) => {
    // Back and forth, so the loop has no jump.
    const k = Math.floor(i / frames * 2) % 2 === 0 ? (i * 2) % frames : frames - 1 - ((i * 2) % frames);
    return scene.frame(k).cvtColor(cv.COLOR_BGR2RGB).getData();
  });
  let i = 0;
  node.createTimer(BigInt(Math.round(1e9 / rateHz)), () => {
    const now = Date.now();
    publisher.publish({
      header: { stamp: { sec: Math.floor(now / 1000), nanosec: (now % 1000) * 1e6 }, frame_id: 'bench_camera' },
      height,
      width,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: width * 3,
      data: buffers[i++ % frames]!,
    });
  });
  node.spin();
  const stop = (): void => {
    node.destroy();
    rcl.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench camera: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
