import { intersectionArea, type Box } from '../vision/crop.js';

/** A box this much inside another (its own area's fraction) is the same face found twice. */
export const NESTED_FRACTION = 0.8;

/**
 * One box per face where the detector gave two nested ones (Haar does, on the Solvay photo: a
 * face and a smaller box inside it, which its own grouping does not merge since their sizes
 * differ). Of a box lying at least `fraction` inside another, only the one with the higher score
 * is kept (the larger one on a tie). Pure; keeps the order of the boxes it keeps.
 */
export function mergeNestedBoxes<T extends Box & { score: number }>(boxes: readonly T[], fraction = NESTED_FRACTION): T[] {
  const dropped = new Set<number>();
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      if (dropped.has(i) || dropped.has(j)) continue;
      const [a, b] = [boxes[i]!, boxes[j]!];
      const [small, large] = a.width * a.height <= b.width * b.height ? [i, j] : [j, i];
      const smallBox = boxes[small]!;
      if (intersectionArea(a, b) < fraction * smallBox.width * smallBox.height) continue;
      const keepSmall = smallBox.score > boxes[large]!.score;
      dropped.add(keepSmall ? large : small);
    }
  }
  return boxes.filter((_, i) => !dropped.has(i));
}
