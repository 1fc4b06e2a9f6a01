import type { Padding } from '../../models/keras/layers.js';
import { axisGeometry } from '../../explain/geometry.js';

type Pair = [number, number];

/**
 * d loss / d x of a max-pool: each output cell's gradient goes to the FIRST maximum of its window
 * in row-major order, 'same' padding cells counting as -inf (TF.js's cpu backend's rule, and the
 * explanations' maxPoolRouting, in one pass without the routing arrays). Channels are innermost,
 * so each window is read as kh*kw contiguous runs of c values.
 */
export function maxPoolInputGradient(x: Float32Array, dy: Float32Array, shape: readonly number[], pool: Pair, strides: Pair, padding: Padding): Float32Array {
  const [n, h, w, c] = shape as [number, number, number, number];
  const rows = axisGeometry(h, pool[0], strides[0], padding);
  const cols = axisGeometry(w, pool[1], strides[1], padding);
  const dx = new Float32Array(x.length);
  const best = new Int32Array(c);
  const bestValue = new Float32Array(c);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      const y0 = Math.max(0, oy * strides[0] - rows.before);
      const y1 = Math.min(h, oy * strides[0] - rows.before + pool[0]);
      for (let ox = 0; ox < cols.out; ox++, o += c) {
        const x0 = Math.max(0, ox * strides[1] - cols.before);
        const x1 = Math.min(w, ox * strides[1] - cols.before + pool[1]);
        const first = ((b * h + y0) * w + x0) * c;
        for (let ch = 0; ch < c; ch++) {
          best[ch] = first + ch;
          bestValue[ch] = x[first + ch]!;
        }
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = iy === y0 ? x0 + 1 : x0; ix < x1; ix++) {
            const at = ((b * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[at + ch]!;
              // Strictly greater: a tie keeps the earlier cell.
              if (v > bestValue[ch]!) {
                bestValue[ch] = v;
                best[ch] = at + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < c; ch++) dx[best[ch]!]! += dy[o + ch]!;
      }
    }
  }
  return dx;
}
