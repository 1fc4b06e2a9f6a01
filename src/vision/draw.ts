import { cv, type Mat } from './opencv.js';
import type { FaceResult } from '../pipeline/pipeline.js';

type Bgr = [number, number, number];

/** Box colours by emotion, as the authors' emotion demo (angry red, sad blue, happy yellow, surprise cyan, others green); BGR. */
const EMOTION_COLORS: Record<string, Bgr> = {
  angry: [0, 0, 255],
  sad: [255, 0, 0],
  happy: [0, 255, 255],
  surprise: [255, 255, 0],
};
const OTHER_COLOR: Bgr = [0, 255, 0];
/** Gender text colours, as the authors' gender demo: woman and man in distinct colours (BGR). */
const GENDER_COLORS: Record<string, Bgr> = { woman: [180, 105, 255], man: [255, 160, 0] };

export function emotionColor(label: string | undefined): Bgr {
  return (label && EMOTION_COLORS[label]) || OTHER_COLOR;
}

function label(mat: Mat, text: string, x: number, y: number, color: Bgr, scale: number): void {
  const thickness = Math.max(1, Math.round(scale * 2));
  const origin = new cv.Point2(x, y);
  // A dark outline keeps the text readable on any background.
  mat.putText(text, origin, cv.FONT_HERSHEY_SIMPLEX, scale, new cv.Vec3(0, 0, 0), thickness + 2, cv.LINE_AA);
  mat.putText(text, origin, cv.FONT_HERSHEY_SIMPLEX, scale, new cv.Vec3(...color), thickness, cv.LINE_AA);
}

/**
 * Draw each face's box coloured by its emotion, the emotion with its score above the box and the
 * gender with its score below. Draws on a copy; `frame` must be 8-bit BGR.
 */
export function annotate(frame: Mat, faces: readonly FaceResult[]): Mat {
  const out = frame.copy();
  for (const face of faces) {
    const { x, y, width, height } = face.box;
    // Text sized by the face, so small faces in large frames keep readable, non-overlapping labels.
    const scale = Math.max(0.4, Math.min(1.5, width / 160));
    const color = emotionColor(face.emotion?.label);
    out.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + width, y + height), new cv.Vec3(...color), Math.max(2, Math.round(scale * 3)), cv.LINE_8);
    if (face.emotion) label(out, `#${face.trackId} ${face.emotion.label} ${face.emotion.confidence.toFixed(2)}`, x, Math.max(12, y - 8), color, scale);
    if (face.gender) {
      const gColor = GENDER_COLORS[face.gender.label] ?? OTHER_COLOR;
      label(out, `${face.gender.label} ${face.gender.confidence.toFixed(2)}`, x, Math.min(frame.rows - 4, y + height + Math.round(24 * scale)), gColor, scale);
    }
  }
  return out;
}
