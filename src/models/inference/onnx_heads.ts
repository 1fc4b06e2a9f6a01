import type { HeadTask } from '../classifier.js';
import { onnxNames, type OnnxHead } from '../onnx/export.js';
import { headsOf, sharedModel, type Heads } from './engine.js';

/** The graph input both heads of one dual model read. */
export const SHARED_INPUT = 'emotion_gender';

/** How loaded heads become ONNX graphs: the networks to export and the graph input each head reads. */
export interface OnnxHeadsLayout {
  graphs: OnnxHead[];
  inputOf: Partial<Record<HeadTask, string>>;
}

/**
 * Separate models: one graph per head (input `emotion` / `gender`). Both heads of one dual model:
 * its network exported ONCE with both outputs (`emotion_probabilities`, `gender_probabilities`) on
 * one input, so one run computes the backbone once for both. The outputs keep their names either
 * way; a dual model named for one head exports only that head's layers.
 */
export function onnxHeads(heads: Heads): OnnxHeadsLayout {
  const shared = sharedModel(heads);
  if (shared) {
    const tasks = ['emotion', 'gender'] as const;
    const network = shared.answering(tasks.map((task) => heads[task]!.output));
    return { graphs: [{ name: SHARED_INPUT, network, outputs: tasks.map((task) => onnxNames(task).output) }], inputOf: { emotion: SHARED_INPUT, gender: SHARED_INPUT } };
  }
  const list = headsOf(heads);
  return { graphs: list.map(([task, head]) => ({ name: task, network: head.network })), inputOf: Object.fromEntries(list.map(([task]) => [task, onnxNames(task).input])) };
}
