import { cv, type Mat } from '../vision/opencv.js';
import { toBgr, type ColorOrder } from '../vision/image.js';
import { ImageError } from '../errors.js';

/**
 * A frame in the forms the stages need: 8-bit gray for the Haar detector and the heads, BGR for
 * YuNet and the debug and GBP images. Each form is made once, when first asked for, so a frame that
 * only needs gray is never converted to BGR; the outputs take these instead of converting again.
 */
export class PreparedFrame {
  private grayMat: Mat | undefined;
  private bgrMat: Mat | undefined;

  constructor(
    readonly source: Mat,
    readonly colorOrder: ColorOrder = 'bgr',
  ) {
    if (source.empty || source.rows === 0 || source.cols === 0) throw new ImageError('frame', 'is empty');
    if (source.depth !== cv.CV_8U) throw new ImageError('frame', 'must be 8-bit');
    if (![1, 3, 4].includes(source.channels)) throw new ImageError('frame', `has ${source.channels} channels; 1, 3 or 4 expected`);
  }

  get width(): number {
    return this.source.cols;
  }

  get height(): number {
    return this.source.rows;
  }

  get gray(): Mat {
    this.grayMat ??= this.source.channels === 1 ? this.source : this.source.cvtColor(grayCode(this.source.channels, this.colorOrder));
    return this.grayMat;
  }

  /** BGR, or undefined for a gray source (the gray image is then all there is). */
  get bgrOrUndefined(): Mat | undefined {
    return this.source.channels === 1 ? undefined : this.bgr;
  }

  get bgr(): Mat {
    this.bgrMat ??= toBgr(this.source, this.colorOrder);
    return this.bgrMat;
  }

  /**
   * Free the forms made from the source now (the source belongs to the caller). The binding does
   * not tell V8 how large a Mat is, so without this a frame's pixels wait for a garbage collection
   * that little JavaScript garbage may not bring soon: callers release each frame when its outputs
   * are done with it.
   */
  release(): void {
    if (this.grayMat && this.grayMat !== this.source) this.grayMat.release();
    if (this.bgrMat && this.bgrMat !== this.source) this.bgrMat.release();
    this.grayMat = undefined;
    this.bgrMat = undefined;
  }
}

function grayCode(channels: number, order: ColorOrder): number {
  if (channels === 4) return order === 'rgb' ? cv.COLOR_RGBA2GRAY : cv.COLOR_BGRA2GRAY;
  return order === 'rgb' ? cv.COLOR_RGB2GRAY : cv.COLOR_BGR2GRAY;
}
