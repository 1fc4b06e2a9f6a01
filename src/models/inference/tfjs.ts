import * as tf from '@tensorflow/tfjs';
import { checkTasks, headsOf, type Heads, type HeadInputs, type HeadOutputs, type HeadsEngine } from './engine.js';

/** The reference path: each head's imported network on the active TensorFlow.js backend. */
export class TfjsEngine implements HeadsEngine {
  readonly name = 'tfjs' as const;
  readonly combined = false;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(private readonly heads: Heads) {
    this.details = { engine: 'tfjs', backend: tf.getBackend(), version: tf.version['tfjs-core'] };
  }

  get label(): string {
    return `tfjs-${tf.getBackend()}`;
  }

  get calls(): number {
    return headsOf(this.heads).reduce((sum, [, head]) => sum + head.calls, 0);
  }

  classify(inputs: HeadInputs): HeadOutputs {
    checkTasks(inputs, this.heads, this.name);
    const outputs: HeadOutputs = {};
    for (const [task, head] of headsOf(this.heads)) {
      const faces = inputs[task];
      if (faces) outputs[task] = head.predict(faces);
    }
    return outputs;
  }

  dispose(): void {
    // The networks belong to the heads.
  }
}
