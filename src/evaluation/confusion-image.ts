import { cv, copyInto, type Mat } from '../vision/opencv.js';
import type { Vec3 } from '@u4/opencv4nodejs';
import type { EvaluationReport } from './evaluate.js';

const FONT = cv.FONT_HERSHEY_SIMPLEX;
const BLACK = new cv.Vec3(0, 0, 0);
const WHITE = new cv.Vec3(255, 255, 255);
const GRAY = new cv.Vec3(90, 90, 90);

/** White to dark blue (matplotlib's "Blues" ends), as BGR, for a share t in [0, 1]. */
export function blues(t: number): Vec3 {
  const u = Math.min(1, Math.max(0, t));
  const light = [247, 251, 255];
  const dark = [107, 48, 8];
  return new cv.Vec3(...(light.map((l, i) => Math.round(l + (dark[i]! - l) * u)) as [number, number, number]));
}

function textWidth(text: string, scale: number, thickness: number): number {
  return cv.getTextSize(text, FONT, scale, thickness).size.width;
}

function put(image: Mat, text: string, x: number, y: number, scale: number, color: Vec3, thickness = 1): void {
  image.putText(text, new cv.Point2(Math.round(x), Math.round(y)), FONT, scale, color, thickness, cv.LINE_AA);
}

/** Text turned 90 degrees counter-clockwise (reads bottom to top), for the vertical axis title. */
function verticalText(text: string, scale: number): Mat {
  const width = textWidth(text, scale, 1) + 8;
  const strip = new cv.Mat(24, width, cv.CV_8UC3, [255, 255, 255]);
  put(strip, text, 4, 17, scale, BLACK);
  return strip.rotate(cv.ROTATE_90_COUNTERCLOCKWISE);
}

/**
 * The confusion matrix as a picture: rows are the true classes, columns the predicted ones; each
 * cell shows its count and its share of the row, coloured by that share (row-normalised, so a
 * rare class such as FER-2013's disgust reads as clearly as a common one); a colour bar, the
 * axis titles and a title with the model, the dataset and the accuracy. Drawn with OpenCV (BGR).
 */
export function confusionImage(report: EvaluationReport, title: string): Mat {
  const labels = report.labels;
  const n = labels.length;
  const cell = 74;
  const labelScale = 0.5;
  const rowLabelWidth = Math.max(...labels.map((l) => textWidth(l, labelScale, 1))) + 16;
  const left = 40 + rowLabelWidth;
  const top = 70;
  const barWidth = 18;
  const width = Math.max(left + n * cell + 90, textWidth(title, 0.55, 1) + 30);
  const height = top + n * cell + 70;
  const image = new cv.Mat(height, width, cv.CV_8UC3, [255, 255, 255]);
  put(image, title, 15, 26, 0.55, BLACK);
  put(image, `accuracy ${(report.accuracy * 100).toFixed(2)}%, ${report.samples} samples; colour: share of the true class`, 15, 48, 0.45, GRAY);
  labels.forEach((truth, r) => {
    const row = report.confusion[truth]!;
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    put(image, truth, left - 8 - textWidth(truth, labelScale, 1), top + r * cell + cell / 2 + 5, labelScale, BLACK);
    labels.forEach((predicted, c) => {
      const count = row[predicted]!;
      const share = total ? count / total : 0;
      const x = left + c * cell;
      const y = top + r * cell;
      image.drawRectangle(new cv.Point2(x, y), new cv.Point2(x + cell - 1, y + cell - 1), blues(share), cv.FILLED, cv.LINE_8);
      const ink = share > 0.5 ? WHITE : BLACK;
      const countText = String(count);
      put(image, countText, x + (cell - textWidth(countText, 0.6, r === c ? 2 : 1)) / 2, y + cell / 2 + 2, 0.6, ink, r === c ? 2 : 1);
      const shareText = `${(share * 100).toFixed(share >= 0.995 || share === 0 ? 0 : 1)}%`;
      put(image, shareText, x + (cell - textWidth(shareText, 0.4, 1)) / 2, y + cell / 2 + 20, 0.4, ink);
    });
  });
  image.drawRectangle(new cv.Point2(left, top), new cv.Point2(left + n * cell, top + n * cell), GRAY, 1, cv.LINE_8);
  labels.forEach((predicted, c) => put(image, predicted, left + c * cell + (cell - textWidth(predicted, labelScale, 1)) / 2, top + n * cell + 20, labelScale, BLACK));
  const xTitle = 'predicted class';
  put(image, xTitle, left + (n * cell - textWidth(xTitle, 0.55, 1)) / 2, top + n * cell + 50, 0.55, BLACK);
  const yTitle = verticalText('true class', 0.55);
  const yAt = Math.max(0, Math.round(top + (n * cell - yTitle.rows) / 2));
  const titleArea = image.getRegion(new cv.Rect(6, yAt, yTitle.cols, Math.min(yTitle.rows, height - yAt)));
  copyInto(yTitle, titleArea);
  titleArea.release();
  // Colour bar: 100% at the top, 0% at the bottom.
  const barX = left + n * cell + 20;
  for (let i = 0; i < n * cell; i++) image.drawLine(new cv.Point2(barX, top + i), new cv.Point2(barX + barWidth, top + i), blues(1 - i / (n * cell - 1)), 1, cv.LINE_8);
  image.drawRectangle(new cv.Point2(barX, top), new cv.Point2(barX + barWidth, top + n * cell - 1), GRAY, 1, cv.LINE_8);
  put(image, '100%', barX + barWidth + 4, top + 10, 0.4, BLACK);
  put(image, '0%', barX + barWidth + 4, top + n * cell - 2, 0.4, BLACK);
  return image;
}
