import fs from 'node:fs';
import { cv, type Mat } from '../vision/opencv.js';
import type { Vec3 } from '@u4/opencv4nodejs';

/** One row of training.csv (the columns `train` writes). */
export interface EpochRow {
  epoch: number;
  lr: number;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
}

/** The rows of a run's training.csv, in epoch order; rows without the named columns are refused. */
export function readTrainingCsv(file: string): EpochRow[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const columns = (header ?? '').split(',');
  const at = (name: keyof EpochRow): number => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column ${name} in its header (${header ?? 'empty file'})`);
    return i;
  };
  const index = { epoch: at('epoch'), lr: at('lr'), loss: at('loss'), acc: at('acc'), val_loss: at('val_loss'), val_acc: at('val_acc') };
  return lines
    .map((line) => {
      const cells = line.split(',').map(Number);
      return { epoch: cells[index.epoch]!, lr: cells[index.lr]!, loss: cells[index.loss]!, acc: cells[index.acc]!, val_loss: cells[index.val_loss]!, val_acc: cells[index.val_acc]! };
    })
    .sort((a, b) => a.epoch - b.epoch);
}

const FONT = cv.FONT_HERSHEY_SIMPLEX;
const BLACK = new cv.Vec3(0, 0, 0);
const GRAY = new cv.Vec3(150, 150, 150);
const LIGHT = new cv.Vec3(225, 225, 225);
/** Training in blue, validation in orange (BGR), as Keras/matplotlib plots show them. */
const TRAIN = new cv.Vec3(180, 119, 31);
const VALIDATION = new cv.Vec3(14, 127, 255);

function put(image: Mat, text: string, x: number, y: number, scale: number, color: Vec3 = BLACK): void {
  image.putText(text, new cv.Point2(Math.round(x), Math.round(y)), FONT, scale, color, 1, cv.LINE_AA);
}

function textWidth(text: string, scale: number): number {
  return cv.getTextSize(text, FONT, scale, 1).size.width;
}

interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One panel: two series over the epochs, y from `low` to `high`, five labelled ticks. */
function drawPanel(image: Mat, panel: Panel, title: string, epochs: readonly number[], series: readonly { values: readonly number[]; color: Vec3; name: string }[], low: number, high: number, format: (v: number) => string, best: number, legendAtBottom = false): void {
  const first = epochs[0]!;
  const last = Math.max(epochs[epochs.length - 1]!, first + 1);
  const px = (epoch: number): number => panel.x + ((epoch - first) / (last - first)) * panel.width;
  const py = (value: number): number => panel.y + panel.height - ((value - low) / (high - low || 1)) * panel.height;
  put(image, title, panel.x, panel.y - 12, 0.55);
  for (let i = 0; i <= 4; i++) {
    const value = low + ((high - low) * i) / 4;
    const y = Math.round(py(value));
    image.drawLine(new cv.Point2(panel.x, y), new cv.Point2(panel.x + panel.width, y), LIGHT, 1, cv.LINE_8);
    const label = format(value);
    put(image, label, panel.x - 8 - textWidth(label, 0.4), y + 4, 0.4);
  }
  const step = Math.max(1, Math.ceil((last - first) / 8));
  for (let epoch = first; epoch <= last; epoch += step) {
    const x = Math.round(px(epoch));
    image.drawLine(new cv.Point2(x, panel.y + panel.height), new cv.Point2(x, panel.y + panel.height + 5), BLACK, 1, cv.LINE_8);
    put(image, String(epoch), x - textWidth(String(epoch), 0.4) / 2, panel.y + panel.height + 20, 0.4);
  }
  put(image, 'epoch', panel.x + panel.width / 2 - 20, panel.y + panel.height + 40, 0.45);
  // The best epoch (lowest validation loss: the one the run keeps as model.hdf5).
  const bx = Math.round(px(best));
  for (let y = panel.y; y < panel.y + panel.height; y += 8) image.drawLine(new cv.Point2(bx, y), new cv.Point2(bx, Math.min(y + 4, panel.y + panel.height)), GRAY, 1, cv.LINE_8);
  for (const s of series) {
    for (let i = 1; i < epochs.length; i++) {
      image.drawLine(new cv.Point2(Math.round(px(epochs[i - 1]!)), Math.round(py(s.values[i - 1]!))), new cv.Point2(Math.round(px(epochs[i]!)), Math.round(py(s.values[i]!))), s.color, 2, cv.LINE_AA);
    }
    for (let i = 0; i < epochs.length; i++) image.drawCircle(new cv.Point2(Math.round(px(epochs[i]!)), Math.round(py(s.values[i]!))), 2, s.color, cv.FILLED, cv.LINE_AA);
  }
  image.drawRectangle(new cv.Point2(panel.x, panel.y), new cv.Point2(panel.x + panel.width, panel.y + panel.height), BLACK, 1, cv.LINE_8);
  series.forEach((s, i) => {
    const y = legendAtBottom ? panel.y + panel.height - 12 - (series.length - 1 - i) * 18 : panel.y + 16 + i * 18;
    const x = panel.x + panel.width - 130;
    image.drawLine(new cv.Point2(x, y - 4), new cv.Point2(x + 22, y - 4), s.color, 2, cv.LINE_AA);
    put(image, s.name, x + 28, y, 0.42);
  });
}

/**
 * A run's learning curves as a picture (BGR): loss and accuracy per epoch, training and validation,
 * the best epoch (lowest validation loss) dashed, and a title with the run and the best scores.
 */
export function curvesImage(rows: readonly EpochRow[], title: string): Mat {
  if (rows.length === 0) throw new Error('no epochs to draw');
  const width = 1100;
  const height = 470;
  const image = new cv.Mat(height, width, cv.CV_8UC3, [255, 255, 255]);
  const best = rows.reduce((a, b) => (b.val_loss < a.val_loss ? b : a));
  put(image, title, 20, 28, 0.6);
  put(image, `best epoch ${best.epoch} (lowest val_loss ${best.val_loss.toFixed(4)}): val_acc ${(best.val_acc * 100).toFixed(2)}%; last lr ${rows[rows.length - 1]!.lr}`, 20, 52, 0.45, new cv.Vec3(90, 90, 90));
  const epochs = rows.map((r) => r.epoch);
  const losses = rows.flatMap((r) => [r.loss, r.val_loss]);
  const lossLow = Math.floor(Math.min(...losses) * 10) / 10;
  const lossHigh = Math.ceil(Math.max(...losses) * 10) / 10;
  const accs = rows.flatMap((r) => [r.acc, r.val_acc]);
  const accLow = Math.floor(Math.min(...accs) * 20) / 20;
  const accHigh = Math.ceil(Math.max(...accs) * 20) / 20;
  const panel = { y: 100, width: 440, height: 300 };
  drawPanel(image, { ...panel, x: 70 }, 'loss', epochs, [
    { values: rows.map((r) => r.loss), color: TRAIN, name: 'training' },
    { values: rows.map((r) => r.val_loss), color: VALIDATION, name: 'validation' },
  ], lossLow, lossHigh, (v) => v.toFixed(2), best.epoch);
  drawPanel(image, { ...panel, x: 620 }, 'accuracy', epochs, [
    { values: rows.map((r) => r.acc), color: TRAIN, name: 'training' },
    { values: rows.map((r) => r.val_acc), color: VALIDATION, name: 'validation' },
  ], accLow, accHigh, (v) => `${(v * 100).toFixed(1)}%`, best.epoch, true);
  return image;
}
