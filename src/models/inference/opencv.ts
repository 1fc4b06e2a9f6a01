import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceClassificationError, errorMessage } from '../../errors.js';
import { toClassifications, type HeadTask } from '../classifier.js';
import { exportOnnx } from '../onnx/export.js';
import { cv, type Mat } from '../../vision/opencv.js';
import { batchesOf, checkTasks, headsOf, type Heads, type HeadInputs, type HeadOutputs, type HeadsEngine } from './engine.js';

type Net = ReturnType<typeof cv.readNetFromONNX>;

/**
 * The heads on OpenCV's dnn module (already loaded for detection), one net per head exported to
 * ONNX at load. The binding reads ONNX only from a file, so the export goes through a temporary
 * file that is removed at once. OpenCV's thread pool is process-wide (cv.setNumThreads), shared with
 * the Haar detector, so this engine has no thread setting of its own.
 */
export class OpenCvEngine implements HeadsEngine {
  readonly name = 'opencv' as const;
  readonly combined = false;
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
        const result = net.forward();
        const bytes = result.getData();
        const probabilities = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
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
