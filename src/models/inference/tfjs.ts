import * as tf from '@tensorflow/tfjs';
import { predictHeads, type LoadedModel } from '../classifier.js';
import { checkTasks, headsOf, sameFaces, sharedModel, type Heads, type HeadInputs, type HeadOutputs, type HeadsEngine } from './engine.js';

/**
 * The reference path: each head's imported network on the active TensorFlow.js backend. When both
 * heads are one dual model's and get the same faces, one forward pass a batch answers both.
 */
export class TfjsEngine implements HeadsEngine {
  readonly name = 'tfjs' as const;
  readonly combined: boolean;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  private readonly shared: LoadedModel | undefined;

  constructor(private readonly heads: Heads) {
    this.shared = sharedModel(heads);
    this.combined = this.shared !== undefined;
    this.details = { engine: 'tfjs', backend: tf.getBackend(), version: tf.version['tfjs-core'], networks: new Set(headsOf(heads).map(([, head]) => head.model)).size };
  }

  get label(): string {
    return `tfjs-${tf.getBackend()}`;
  }

  /** Forward passes of the heads' networks (a shared one counted once). */
  get calls(): number {
    return [...new Set(headsOf(this.heads).map(([, head]) => head.model))].reduce((sum, model) => sum + model.calls, 0);
  }

  classify(inputs: HeadInputs): HeadOutputs {
    checkTasks(inputs, this.heads, this.name);
    if (this.shared && sameFaces(inputs.emotion, inputs.gender)) {
      const [emotion, gender] = predictHeads([this.heads.emotion!, this.heads.gender!], inputs.emotion!);
      return { emotion, gender };
    }
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
