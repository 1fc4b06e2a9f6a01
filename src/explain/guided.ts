import * as tf from '@tensorflow/tfjs';
import type { NetworkOps } from '../models/network.js';
import { unaryCustomGrad } from './custom-grad.js';
import { conv2dWithGrad, depthwiseConv2dWithGrad } from './convolution.js';
import { routedMaxPool } from './maxpool.js';
import type { GradientRule } from './types.js';

/** ReLU whose backward pass follows `rule`: guided grad*(x>0)*(grad>0) or plain grad*(x>0). */
function ruledRelu(rule: GradientRule): (x: tf.Tensor) => tf.Tensor {
  return unaryCustomGrad((x, save) => {
    const y = tf.relu(x);
    // The output is saved, not the input: y > 0 exactly where x > 0, and y is kept anyway.
    save([y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const through = tf.mul(dy, tf.step(saved[0]!));
        return rule === 'guided' ? tf.mul(through, tf.step(dy)) : through;
      },
    };
  });
}

const RELU: Record<GradientRule, (x: tf.Tensor) => tf.Tensor> = { guided: ruledRelu('guided'), plain: ruledRelu('plain') };

/**
 * The ops that make Network.forward differentiable to its input on any backend, with the ReLU rule
 * of the explanation: custom-gradient ReLU, first-maximum max-pool routing, and convolutions whose
 * backward passes use forward kernels only.
 */
export function explanationOps(rule: GradientRule): NetworkOps {
  return { relu: RELU[rule], conv2d: conv2dWithGrad, maxPool: routedMaxPool, depthwiseConv2d: depthwiseConv2dWithGrad };
}
