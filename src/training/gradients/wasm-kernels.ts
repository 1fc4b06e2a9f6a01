import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Padding } from '../../models/keras/layers.js';
import { conv2dInputGradient, depthwiseInputGradient } from '../../explain/conv-backward.js';
import { maxPoolInputGradient } from './maxpool-gradient.js';
import { conv2dFilterGradient, depthwiseFilterGradient } from './filter-gradients.js';

type Pair = [number, number];
type Inputs = Record<string, tf.TensorInfo>;
type Attrs = Record<string, unknown>;

/** The part of the wasm backend's interface a composed kernel needs. */
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

function pair(value: unknown, name: string): Pair {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) return [Number(value[0]), Number(value[1])];
  throw new Error(`${name} ${JSON.stringify(value)} is not supported by the training kernels`);
}

function padding(value: unknown, kernel: string): Padding {
  if (value === 'same' || value === 'valid') return value;
  throw new Error(`${kernel}: padding ${JSON.stringify(value)} is not supported by the training kernels (same, valid)`);
}

function noDilation(attrs: Attrs, kernel: string): void {
  const d = attrs['dilations'] === undefined ? [1, 1] : pair(attrs['dilations'], 'dilations');
  if (d[0] !== 1 || d[1] !== 1) throw new Error(`${kernel}: dilations ${d.join('x')} are not supported by the training kernels`);
  if (attrs['dataFormat'] !== undefined && attrs['dataFormat'] !== 'NHWC') throw new Error(`${kernel}: only NHWC is supported`);
}

/**
 * A kernel computed with ordinary TF.js ops (which run the backend's forward kernels). Inside a
 * kernel the engine records no gradient tape, so the ops only compute. The inputs are wrapped as
 * tensors with their own reference; the result keeps one reference for the engine's output tensor.
 */
function composedKernel(kernelName: string, compute: (inputs: Record<string, tf.Tensor>, attrs: Attrs) => tf.Tensor): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const refs = backend as RefCountingBackend;
      const engine = tf.engine();
      const result = tf.tidy(() => {
        const wrapped: Record<string, tf.Tensor> = {};
        for (const [name, info] of Object.entries(inputs as Inputs)) {
          refs.incRef(info.dataId);
          wrapped[name] = engine.makeTensorFromTensorInfo(info, backend as tf.KernelBackend);
        }
        return compute(wrapped, (attrs ?? {}) as Attrs);
      });
      refs.incRef(result.dataId);
      const info: tf.TensorInfo = { dataId: result.dataId, shape: result.shape, dtype: result.dtype };
      result.dispose();
      return info;
    },
  };
}

/**
 * A kernel computed in JS or our own WebAssembly on views of the wasm backend's heap (no copies
 * through dataSync): the output is allocated first, since an allocation may grow the heap and
 * detach earlier views.
 */
function heapKernel(kernelName: string, outputShape: (inputs: Inputs, attrs: Attrs) => number[], compute: (inputs: Record<string, Float32Array>, shapes: Record<string, number[]>, out: Float32Array, attrs: Attrs) => void): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const wasm = backend as BackendWasm;
      const given = inputs as Inputs;
      const all = (attrs ?? {}) as Attrs;
      const out = wasm.makeOutput(outputShape(given, all), 'float32');
      const views: Record<string, Float32Array> = {};
      const shapes: Record<string, number[]> = {};
      for (const [name, info] of Object.entries(given)) {
        if (info.dtype !== 'float32') throw new Error(`${kernelName}: ${name} is ${info.dtype}; the training kernels take float32`);
        views[name] = wasm.typedArrayFromHeap(info) as Float32Array;
        shapes[name] = info.shape;
      }
      compute(views, shapes, wasm.typedArrayFromHeap(out) as Float32Array, all);
      return out;
    },
  };
}

/**
 * Gradient kernels the wasm backend lacks or gets wrong, built from its forward kernels or, where
 * those were slow, our WebAssembly SIMD kernels (simd/kernels.wat):
 * - DepthwiseConv2dNativeBackpropInput / BackpropFilter, Conv2DBackpropFilter: missing;
 * - MaxPoolGrad: wrong where a window's values are all negative (routes to a padding cell), so the
 *   first maximum of each window is found in our SIMD kernel (simd/kernels.wat), the cpu backend's rule;
 * - Conv2DBackpropInput: present but a plain loop several times slower than the forward Conv2D;
 * - Identity: copies where sharing the data is enough.
 */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  {
    // wasm's Identity copies the data; tensors are immutable, so sharing it (as the cpu backend
    // does) is the same result. Training calls it hundreds of times a step (tf.layers' Add and
    // the tape's saved tensors clone), 4% of a step.
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = (inputs as Inputs)['x']!;
      if (x.dtype === 'string') throw new Error('Identity: string tensors are not supported by the training kernels');
      (backend as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  },
  composedKernel('Conv2DBackpropInput', ({ dy, filter }, attrs) => {
    noDilation(attrs, 'Conv2DBackpropInput');
    const strides = pair(attrs['strides'], 'strides');
    const [kh, kw, inChannels, outChannels] = filter!.shape as [number, number, number, number];
    if (kh === 1 && kw === 1 && strides[0] === 1 && strides[1] === 1) {
      // A pointwise convolution (most of a separable one's work): dx = dy W^T, one matrix product
      // (W transposed explicitly: wasm's BatchMatMul is about 3x slower with a transpose flag).
      return tf.matMul(dy!.reshape([-1, outChannels]) as tf.Tensor2D, tf.transpose(filter!.reshape([inChannels, outChannels])) as tf.Tensor2D).reshape(attrs['inputShape'] as number[]);
    }
    return conv2dInputGradient(dy as tf.Tensor4D, filter as tf.Tensor4D, attrs['inputShape'] as number[], pair(attrs['strides'], 'strides'), padding(attrs['pad'], 'Conv2DBackpropInput'));
  }),
  composedKernel('Conv2DBackpropFilter', ({ x, dy }, attrs) => {
    noDilation(attrs, 'Conv2DBackpropFilter');
    return conv2dFilterGradient(x as tf.Tensor4D, dy as tf.Tensor4D, attrs['filterShape'] as number[], pair(attrs['strides'], 'strides'), padding(attrs['pad'], 'Conv2DBackpropFilter'));
  }),
  composedKernel('DepthwiseConv2dNativeBackpropInput', ({ dy, filter }, attrs) => {
    noDilation(attrs, 'DepthwiseConv2dNativeBackpropInput');
    return depthwiseInputGradient(dy as tf.Tensor4D, filter as tf.Tensor4D, attrs['inputShape'] as number[], pair(attrs['strides'], 'strides'), padding(attrs['pad'], 'DepthwiseConv2dNativeBackpropInput'));
  }),
  heapKernel('DepthwiseConv2dNativeBackpropFilter', (_, attrs) => attrs['filterShape'] as number[], ({ x, dy }, shapes, dW, attrs) => {
    noDilation(attrs, 'DepthwiseConv2dNativeBackpropFilter');
    depthwiseFilterGradient(x!, shapes['x']!, dy!, shapes['dy']!, dW, attrs['filterShape'] as number[], pair(attrs['strides'], 'strides'), padding(attrs['pad'], 'DepthwiseConv2dNativeBackpropFilter'));
  }),
  heapKernel('MaxPoolGrad', (inputs) => inputs['input']!.shape, ({ dy, input }, shapes, dx, attrs) => {
    maxPoolInputGradient(input!, dy!, dx, shapes['input']!, pair(attrs['filterSize'], 'filterSize'), pair(attrs['strides'], 'strides'), padding(attrs['pad'], 'MaxPoolGrad'));
  }),
];

let installed = false;

/** Register WASM_TRAINING_KERNELS for the wasm backend, once per process; other backends keep their own kernels. */
export function installWasmTrainingKernels(): void {
  if (installed) return;
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  installed = true;
}
