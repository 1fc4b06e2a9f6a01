/**
 * Annotated and explanation images (issue 12, items 19 and 20): labels readable on any background,
 * never covering each other, sized by their face; nested detector boxes merged; the Grad-CAM map
 * blended so the face shows through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cv, type Mat } from '../../src/vision/opencv.js';
import { annotate, faceLabels } from '../../src/vision/draw.js';
import { drawLabels, placeLabels } from '../../src/vision/labels.js';
import { mergeNestedBoxes } from '../../src/detection/merge_nested.js';
import { renderExplanationFrame } from '../../src/explain/render.js';
import type { FaceResult } from '../../src/pipeline/pipeline.js';
import type { Box } from '../../src/vision/crop.js';

const overlap = (a: Box, b: Box): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function fakeFace(box: Box, emotion: string, gender: string, trackId: number): FaceResult {
  const emotionAnswer = { label: emotion, confidence: 0.87, scores: [] };
  const genderAnswer = { label: gender, confidence: 0.93, scores: [] };
  return { id: trackId, trackId, confirmed: true, box, score: 10, emotion: emotionAnswer, gender: genderAnswer, raw: { emotion: emotionAnswer, gender: genderAnswer } };
}

/** Luma (BT.601) of every pixel of a BGR region. */
function lumas(mat: Mat, box: Box): number[] {
  const data = mat.getRegion(new cv.Rect(box.x, box.y, box.width, box.height)).copy().getData();
  const out: number[] = [];
  for (let i = 0; i < data.length; i += 3) out.push(0.114 * data[i]! + 0.587 * data[i + 1]! + 0.299 * data[i + 2]!);
  return out;
}

test('twelve neighbouring faces in a row (a group photo): no two labels overlap, all inside the frame', () => {
  const frame = new cv.Mat(400, 900, cv.CV_8UC3, [40, 40, 40]);
  const faces = Array.from({ length: 12 }, (_, i) => fakeFace({ x: 10 + i * 72, y: 150, width: 64, height: 64 }, i % 2 ? 'neutral' : 'surprise', 'woman', i + 1));
  const rects = drawLabels(frame.copy(), faceLabels(faces));
  assert.equal(rects.length, 24);
  for (let i = 0; i < rects.length; i++) {
    const r = rects[i]!;
    assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.width <= frame.cols && r.y + r.height <= frame.rows, `label ${i} inside`);
    for (let j = 0; j < i; j++) assert.ok(!overlap(r, rects[j]!), `labels ${j} and ${i} overlap`);
  }
});

test('placeLabels: the preferred side when free, the next free place when not', () => {
  const anchor = { x: 100, y: 100, width: 50, height: 50 };
  const [first, second] = placeLabels([{ anchor, width: 80, height: 20, side: 'above' }, { anchor, width: 80, height: 20, side: 'above' }], 500, 500);
  assert.deepEqual(first, { x: 100, y: 80, width: 80, height: 20 });
  assert.deepEqual(second, { x: 100, y: 150, width: 80, height: 20 }, 'the other side of the box');
});

test('a "sad" label on a black frame is readable: light text on its filled box', () => {
  const frame = new cv.Mat(300, 300, cv.CV_8UC3, [0, 0, 0]);
  const face = fakeFace({ x: 100, y: 120, width: 120, height: 120 }, 'sad', 'man', 1);
  const [emotionRect] = drawLabels(frame.copy(), faceLabels([face]));
  const annotated = annotate(frame, [face]);
  const values = lumas(annotated, emotionRect!);
  const bright = values.filter((v) => v > 200).length;
  const fill = values.filter((v) => v > 20 && v < 40).length;
  assert.ok(bright > values.length * 0.05, `white text pixels: ${bright} of ${values.length}`);
  assert.ok(fill > values.length * 0.4, `blue fill pixels: ${fill} of ${values.length}`);
});

test('nested boxes on one face become one; neighbouring faces stay', () => {
  const outer = { x: 100, y: 100, width: 100, height: 100, score: 20 };
  const inner = { x: 120, y: 125, width: 55, height: 55, score: 6 };
  const neighbour = { x: 190, y: 100, width: 100, height: 100, score: 15 };
  assert.deepEqual(mergeNestedBoxes([outer, inner, neighbour]), [outer, neighbour]);
  assert.deepEqual(mergeNestedBoxes([inner, outer]), [outer], 'the higher score wins, in any order');
  assert.deepEqual(mergeNestedBoxes([{ ...inner, score: 30 }, outer]), [{ ...inner, score: 30 }]);
});

test('explanation frames: label size follows the face, not the frame; Grad-CAM is blended over the face', () => {
  const frame = new cv.Mat(1500, 2000, cv.CV_8UC3, [90, 120, 150]);
  const size = 64;
  // A Grad-CAM map that is zero on its left half and strong on its right half.
  const map = new Float32Array(size * size).map((_, i) => (i % size < size / 2 ? 0 : 1));
  const box = { x: 1000, y: 700, width: 60, height: 60 };
  const out = renderExplanationFrame(frame, [{ map, width: size, height: size, method: 'gradcam', box, label: 'happy p=0.95' }]);
  // Rows above the box holding the label's green fill: a label for a 60-pixel face, not for a 2000-pixel frame.
  let labelRows = 0;
  for (let y = 0; y < box.y; y++) {
    const row = out.getRegion(new cv.Rect(box.x, y, 40, 1)).copy().getData();
    for (let i = 0; i < row.length; i += 3) {
      if (row[i] === 0 && row[i + 1] === 255 && row[i + 2] === 0) {
        labelRows++;
        break;
      }
    }
  }
  assert.ok(labelRows > 5 && labelRows < 30, `label height ${labelRows} px`);
  // Where the map is zero the frame shows through unchanged (blended, not pasted).
  const left = out.getRegion(new cv.Rect(box.x + 5, box.y + 10, 20, 40)).copy().getData();
  const original = frame.getRegion(new cv.Rect(box.x + 5, box.y + 10, 20, 40)).copy().getData();
  assert.deepEqual(Array.from(left), Array.from(original));
  const right = out.getRegion(new cv.Rect(box.x + 40, box.y + 10, 15, 40)).copy().getData();
  const changed = Array.from(right).filter((v, i) => v !== original[i]).length;
  assert.ok(changed > right.length / 2, 'the strong half is coloured');
});
