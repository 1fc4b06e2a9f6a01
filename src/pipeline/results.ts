/**
 * What the pipeline answers for a frame: its faces, each with both heads' answers. Shared by the
 * photo path (FacePipeline.process) and the video path (FaceStream.process).
 */
import type { Box } from '../vision/crop.js';
import type { Classification } from '../models/classifier.js';
import type { PreparedFrame } from './prepared_frame.js';
import type { StageTimings } from './timing.js';

/** One face of a frame, with both heads' answers. */
export interface FaceResult {
  /** Index of the face in its frame, ordered left to right. */
  id: number;
  /** Tracker id: the same person keeps it across the frames of a stream; unique in the process, never reused. */
  trackId: number;
  /** Seen in tracking.confirm_frames frames (a photo's faces are confirmed: one frame is all there is). */
  confirmed: boolean;
  /** The detected face in frame pixels. */
  box: Box;
  /** Detector confidence (YuNet score, or Haar's neighbour count); a carried box keeps its last detection's. */
  score: number;
  /**
   * Video: the detector did not find this face in this frame; its box was carried from the last
   * frames by following its picture (tracking.hold_frames at most), so a face that turns or talks
   * for a moment keeps its track and its answers.
   */
  carried?: boolean;
  /** The heads' answers, smoothed over the track's frames in a stream with smoothing on. */
  emotion?: Classification;
  gender?: Classification;
  /** This frame's own answers (equal to the above in a photo or with smoothing off). */
  raw: { emotion?: Classification; gender?: Classification };
}

export interface FrameResult {
  width: number;
  height: number;
  /** The factor the frame was scaled by for the last full-frame scan (detector.scale, reduced for very large frames). */
  detectionScale: number;
  /** How the faces were found: a full-frame scan of this frame, or re-detection of tracked faces (with a background scan's new faces). */
  detection: 'full' | 'tracked';
  /**
   * Video: the background scan whose faces joined this frame, if one did: whether it covered the
   * whole frame or only the changed regions for small faces, and the share of the frame those covered.
   */
  backgroundScan?: { kind: 'whole' | 'changed'; share: number };
  faces: FaceResult[];
  /** Track ids that ended with this frame (gone for more than tracking.max_missed frames). */
  droppedTracks: number[];
  timings: StageTimings;
  /** The frame as the stages used it (gray, BGR on demand), for outputs that draw on it. */
  prepared: PreparedFrame;
}
