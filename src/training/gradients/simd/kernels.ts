import { KERNELS_WASM_BASE64 } from './kernels-binary.js';

/**
 * One window sweep over an NHWC float32 tensor: n images of h x w x c, an output grid of oh x ow
 * cells, each reading a kh x kw window that starts at (y*sy - top, x*sx - left).
 */
export interface WindowSweep {
  n: number; h: number; w: number; c: number;
  oh: number; ow: number; kh: number; kw: number;
  sy: number; sx: number; top: number; left: number;
}

type SweepKernel = (x: number, dy: number, out: number, n: number, h: number, w: number, c: number, oh: number, ow: number, kh: number, kw: number, sy: number, sx: number, top: number, left: number) => void;

interface KernelExports {
  memory: WebAssembly.Memory;
  depthwiseFilterGradient: SweepKernel;
  maxPoolInputGradient: SweepKernel;
}

const PAGE_BYTES = 65536;
let loaded: KernelExports | undefined;

/** The module, compiled once per thread (1 KB: synchronous compilation is fine). */
function kernels(): KernelExports {
  loaded ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'))).exports as unknown as KernelExports;
  return loaded;
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * Runs a kernel on x and dy copied into the module's memory, into out (zeroed first, then
 * accumulated by the kernel, then copied out). The memory grows to the largest call and stays
 * (about 22 MB for mini-Xception 64x64 at batch 32).
 */
function sweep(kernel: keyof Omit<KernelExports, 'memory'>, x: Float32Array, dy: Float32Array, out: Float32Array, s: WindowSweep): void {
  const wasm = kernels();
  const xAt = 0;
  const dyAt = align16(x.byteLength);
  const outAt = dyAt + align16(dy.byteLength);
  const end = outAt + out.byteLength;
  const memory = wasm.memory;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
  const heap = new Float32Array(memory.buffer);
  heap.set(x, xAt / 4);
  heap.set(dy, dyAt / 4);
  heap.fill(0, outAt / 4, end / 4);
  wasm[kernel](xAt, dyAt, outAt, s.n, s.h, s.w, s.c, s.oh, s.ow, s.kh, s.kw, s.sy, s.sx, s.top, s.left);
  out.set(heap.subarray(outAt / 4, end / 4));
}

/** out[i, j, k] = sum over b, y, x of x[b, y*sy + i - top, x*sx + j - left, k] * dy[b, y, x, k] (cells outside x are zero); out is [kh, kw, c]. */
export function depthwiseFilterGradientSimd(x: Float32Array, dy: Float32Array, out: Float32Array, s: WindowSweep): void {
  sweep('depthwiseFilterGradient', x, dy, out, s);
}

/** Each dy cell added to the first maximum (row-major) of its window of x, padding never chosen; out has x's shape. */
export function maxPoolInputGradientSimd(x: Float32Array, dy: Float32Array, out: Float32Array, s: WindowSweep): void {
  sweep('maxPoolInputGradient', x, dy, out, s);
}
