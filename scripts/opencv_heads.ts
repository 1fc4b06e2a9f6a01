import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceClassificationError, errorMessage } from '../src/errors.js';
import { toClassifications, type HeadTask } from '../src/models/classifier.js';
import { exportOnnx } from '../src/models/onnx/export.js';
import { cv, type Mat } from '../src/vision/opencv.js';
import { batchesOf, checkTasks, headsOf, type Heads, type HeadInputs, type HeadOutputs, type HeadsEngine } from '../src/models/inference/engine.js';

type Net = ReturnType<typeof cv.readNetFromONNX>;

/**
 * The heads on OpenCV's dnn module (already loaded for detection), one net per head exported to
 * ONNX at load. Only bench_heads.ts uses it: measured here 1.3-2x faster than TF.js wasm but 5-10x
 * slower than onnxruntime, so it is not an engine of the library. The binding reads ONNX only from a file, so the export goes through a temporary
 * file that is removed at once. OpenCV's thread pool is process-wide (cv.setNumThreads), shared with
 * the Haar detector, so this engine has no thread setting of its own.
 */
export class OpenCvEngine implements HeadsEngine {
  readonly name = 'opencv';
  readonly combined = false;
  readonly label = 'opencv-dnn';
  readonly details: Readonly<Record<string, string | number | boolean>>;
  calls = 0;
  private nets: Partial<Record<HeadTask, Net>> | undefined;

  private constructor(
    private readonly heads: Heads,
    nets: Partial<Record<HeadTask, Net>>,
  ) {
    this.nets = nets;
    this.details = { engine: 'opencv', version: cv.version ? `${cv.version.major}.${cv.version.minor}.${cv.version.revision}` : 'unknown', threads: cv.getNumThreads() };
  }

  static create(heads: Heads): OpenCvEngine {
    const nets: Partial<Record<HeadTask, Net>> = {};
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'face-classification-onnx-'));
    try {
      for (const [task, head] of headsOf(heads)) {
        const file = path.join(dir, `${task}.onnx`);
        fs.writeFileSync(file, exportOnnx([{ name: task, network: head.network }]));
        try {
          nets[task] = cv.readNetFromONNX(file);
        } catch (error) {
          throw new FaceClassificationError(`inference engine opencv: the exported ${task} head did not load (${errorMessage(error).split('\n')[0]})`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return new OpenCvEngine(heads, nets);
  }

  classify(inputs: HeadInputs): HeadOutputs {
    checkTasks(inputs, this.heads, this.name);
    const nets = this.nets;
    if (!nets) throw new Error('opencv engine: used after dispose()');
    const outputs: HeadOutputs = {};
    for (const call of batchesOf(inputs, this.heads)) {
      for (const { task, faces } of call) {
        const head = this.heads[task]!;
        const size = head.inputHeight * head.inputWidth;
        const mats: Mat[] = faces.map((face, i) => {
          if (face.length !== size) throw new Error(`face input ${i} has ${face.length} values, the ${task} model needs ${size}`);
          return new cv.Mat(Buffer.from(face.buffer, face.byteOffset, face.byteLength), head.inputHeight, head.inputWidth, cv.CV_32FC1);
        });
        const net = nets[task]!;
        net.setInput(cv.blobFromImages(mats, 1, new cv.Size(head.inputWidth, head.inputHeight), new cv.Vec3(0, 0, 0), false, false));
        this.calls++;
        // The output blob may be a view (getData refuses those); its rows are [faces, classes].
        const probabilities = Float32Array.from(net.forward().getDataAsArray().flat());
        (outputs[task] ??= []).push(...toClassifications(probabilities, head.labels, faces.length));
      }
    }
    for (const task of Object.keys(inputs) as HeadTask[]) if (this.heads[task]) outputs[task] ??= [];
    return outputs;
  }

  dispose(): void {
    // The binding frees a Net when it is garbage-collected; dropping the references is all there is.
    this.nets = undefined;
  }
}
