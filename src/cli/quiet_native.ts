/**
 * Native libraries print their own lines on stderr from C (OpenCV's multi-line "[ERROR:0@...]"
 * reports of every video backend it tried, ffmpeg's "[mjpeg @ 0x...] error dc"), naming no file and
 * mixed into ours. The command line reports the same failures itself (the file, the reason), so
 * those lines are switched off here through the libraries' own environment variables. This module
 * must be main.ts's first import: OpenCV and ffmpeg read the variables when they load or first open
 * a video. A variable the user set is kept, and --debug keeps the libraries' defaults.
 *
 * libjpeg and libpng cannot be silenced this way; image files are checked before decoding instead
 * (vision/image.ts: truncation, PNG CRCs, size; iCCP profiles dropped).
 */
const QUIET_ENV: Record<string, string> = {
  // OpenCV's own logging (FATAL: none of its ERROR/WARN lines, e.g. CAP_IMAGES and GStreamer open failures).
  OPENCV_LOG_LEVEL: 'FATAL',
  // OpenCV's ffmpeg backend: av_log level AV_LOG_QUIET (-8).
  OPENCV_FFMPEG_LOGLEVEL: '-8',
  OPENCV_VIDEOIO_DEBUG: '0',
};

if (!process.argv.includes('--debug')) {
  for (const [name, value] of Object.entries(QUIET_ENV)) process.env[name] ??= value;
}

export {};
