import { cv, type Mat } from './opencv.js';
import type { FaceResult } from '../pipeline/pipeline.js';
import { drawLabels, labelScale, type Bgr, type LabelRequest } from './labels.js';

/** Box colours by emotion, as the authors' emotion demo (angry red, sad blue, happy yellow, surprise cyan, others green); BGR. */
const EMOTION_COLORS: Record<string, Bgr> = {
  angry: [0, 0, 255],
  sad: [255, 0, 0],
  happy: [0, 255, 255],
  surprise: [255, 255, 0],
};
const OTHER_COLOR: Bgr = [0, 255, 0];
/** Gender label colours, as the authors' gender demo: woman and man in distinct colours (BGR). */
const GENDER_COLORS: Record<string, Bgr> = { woman: [180, 105, 255], man: [255, 160, 0] };

export function emotionColor(label: string | undefined): Bgr {
  return (label && EMOTION_COLORS[label]) || OTHER_COLOR;
}

/** The labels of each face: track id, emotion and score above the box; gender and score below. */
export function faceLabels(faces: readonly FaceResult[]): LabelRequest[] {
  return faces.flatMap((face) => {
    const scale = labelScale(face.box.width);
    const emotion = face.emotion ? ` ${face.emotion.label} ${face.emotion.confidence.toFixed(2)}` : '';
    const labels: LabelRequest[] = [{ text: `#${face.trackId}${emotion}`, color: emotionColor(face.emotion?.label), anchor: face.box, side: 'above', scale }];
    if (face.gender) labels.push({ text: `${face.gender.label} ${face.gender.confidence.toFixed(2)}`, color: GENDER_COLORS[face.gender.label] ?? OTHER_COLOR, anchor: face.box, side: 'below', scale });
    return labels;
  });
}

/**
 * Draw each face's box coloured by its emotion, with its labels (faceLabels) in filled boxes that
 * never cover each other. Draws on a copy; `frame` must be 8-bit BGR.
 */
export function annotate(frame: Mat, faces: readonly FaceResult[]): Mat {
  const out = frame.copy();
  for (const face of faces) {
    const { x, y, width, height } = face.box;
    const color = emotionColor(face.emotion?.label);
    out.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + width, y + height), new cv.Vec3(...color), Math.max(2, Math.round(labelScale(width) * 3)), cv.LINE_8);
  }
  // Labels after all boxes, so no box line crosses a label.
  drawLabels(out, faceLabels(faces));
  return out;
}
