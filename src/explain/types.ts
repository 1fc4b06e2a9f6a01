import { FaceClassificationError } from '../errors.js';

export const EXPLAIN_METHODS = ['gbp', 'gradcam', 'guided-gradcam'] as const;
/** gbp: guided backpropagation; gradcam: Grad-CAM on the last convolution; guided-gradcam: their product. */
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];

/**
 * How a ReLU passes the gradient back. `guided` (Springenberg et al. 2014): grad * (x > 0) * (grad > 0);
 * `plain`: grad * (x > 0), i.e. the true gradient.
 */
export type GradientRule = 'guided' | 'plain';

/** Which class to explain: 'top' (the predicted class, the default), a class label, or a class index. */
export type TargetSpec = string | number;

/** One face's explanation. */
export interface Explanation {
  method: ExplainMethod;
  /** The ReLU rule of the backward pass to the input (gbp and guided-gradcam). */
  rule: GradientRule;
  targetIndex: number;
  targetLabel: string;
  /** The target class's pre-softmax score (the network's logits). */
  score: number;
  /** The target class's softmax probability. */
  probability: number;
  /**
   * height * width floats, row-major, at the model's input size. gbp: d score / d input (input in the
   * model's scaled units); gradcam: ReLU of the class-weighted last-convolution maps, bilinearly
   * upsampled; guided-gradcam: the gbp map times the upsampled Grad-CAM map.
   */
  map: Float32Array;
  width: number;
  height: number;
}

/** A request the explanation code cannot serve: unknown class, unsupported layer, missing convolution. */
export class ExplanationError extends FaceClassificationError {}
