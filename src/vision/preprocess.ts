import { cv, type Mat } from './opencv.js';

export type Scaling = 'minus-one-to-one' | 'zero-to-one';

/**
 * The paper's input: 8-bit gray, bilinear resize (INTER_LINEAR) to the model's input, x/255 and,
 * for `minus-one-to-one` (how the released models were trained), (x - 0.5) * 2.
 */
export function faceInput(gray: Mat, height: number, width: number, scaling: Scaling = 'minus-one-to-one'): Float32Array {
  if (gray.channels !== 1) throw new Error(`faceInput needs a 1-channel image, got ${gray.channels}`);
  const resized = gray.rows === height && gray.cols === width ? gray : gray.resize(height, width, 0, 0, cv.INTER_LINEAR);
  const pixels = resized.getData();
  if (resized !== gray) resized.release();
  const out = new Float32Array(height * width);
  // getData() returns rows without padding for a continuous Mat (resize/copy results are continuous).
  for (let i = 0; i < out.length; i++) {
    const x = pixels[i]! / 255;
    out[i] = scaling === 'minus-one-to-one' ? (x - 0.5) * 2 : x;
  }
  return out;
}
