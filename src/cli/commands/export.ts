import fs from 'node:fs';
import type { Command } from '../command.js';
import { ensureWritableFile } from '../output_paths.js';
import { UsageError } from '../command.js';
import { MODEL_SOURCE_OPTIONS, configFromFlags } from '../common.js';
import { initBackend, type BackendChoice } from '../../backend.js';
import { headLoadOptions, loadHeads, type HeadTask } from '../../models/classifier.js';
import { exportOnnx, onnxNames } from '../../models/onnx/export.js';
import { OnnxRuntimeEngine, loadOnnxRuntime } from '../../models/inference/onnxruntime.js';
import { TfjsEngine } from '../../models/inference/tfjs.js';
import { sharedModel, type Heads } from '../../models/inference/engine.js';
import { onnxHeads } from '../../models/inference/onnx_heads.js';

/** Largest score difference between onnxruntime and TF.js on a few synthetic faces, or why it was not checked. */
function verify(heads: Heads): { maxScoreDifference: number } | { skipped: string } {
  const runtime = loadOnnxRuntime();
  if (runtime instanceof Error) return { skipped: `onnxruntime-node unavailable (${runtime.message})` };
  const engine = OnnxRuntimeEngine.create(heads, { threads: 1, spinning: false, provider: 'cpu' });
  try {
    const inputs = Object.fromEntries(
      Object.entries(heads).map(([task, head]) => [task, Array.from({ length: 3 }, (_, k) => Float32Array.from({ length: head.inputHeight * head.inputWidth }, (_, i) => Math.sin(i * 0.37 + k)))]),
    );
    // A dual model's heads read one input: the same faces, as the pipeline gives them.
    if (sharedModel(heads) && inputs['gender']) inputs['gender'] = inputs['emotion']!;
    const fast = engine.classify(inputs);
    const reference = new TfjsEngine(heads).classify(inputs);
    let worst = 0;
    for (const task of Object.keys(inputs) as HeadTask[]) {
      reference[task]!.forEach((answer, i) => answer.scores.forEach((s, c) => (worst = Math.max(worst, Math.abs(s - fast[task]![i]!.scores[c]!)))));
    }
    return { maxScoreDifference: worst };
  } finally {
    engine.dispose();
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export the emotion and gender heads to one ONNX model (for onnxruntime, OpenCV dnn, ...)',
  usage: '--out FILE.onnx [--emotion-model ID|PATH] [--gender-model ID|PATH] [--no-emotion | --no-gender]',
  details:
    'Writes one ONNX model (opset 13) with an input and an output per head: `emotion` [N,1,H,W] -> `emotion_probabilities` [N,classes], `gender` likewise.\n' +
    'Both heads of one dual model (emotion+gender) share one input, `emotion_gender`, and its backbone is written once.\n' +
    'Inputs are the preprocessed gray faces (x/255, then (x-0.5)*2, for the released models), row-major. Model ids, labels and input sizes are in the metadata.\n' +
    'When onnxruntime-node is installed, the file is checked against TensorFlow.js on synthetic faces. Prints one JSON line.',
  options: {
    'out': { type: 'string', short: 'o' },
    ...MODEL_SOURCE_OPTIONS,
    'no-emotion': { type: 'boolean' },
    'no-gender': { type: 'boolean' },
  },
  help: {
    'out': 'the ONNX file to write',
    'config': 'YAML settings file (for emotion.model, gender.model, models.directory)',
    'set': 'override a setting: --set emotion.model=PATH (repeatable)',
    'backend': 'TensorFlow.js backend used to import the models: auto | tensorflow-gpu | tensorflow | wasm | cpu',
    'models-dir': 'folder searched first for model files',
    'emotion-model': 'emotion model id (see `face-classification models`) or Keras .hdf5 path',
    'gender-model': 'gender model id or Keras .hdf5 path',
    'no-emotion': 'leave the emotion head out',
    'no-gender': 'leave the gender head out',
  },
  async run(values, positionals, context) {
    if (positionals.length > 0) throw new UsageError(`export takes no positional arguments, got ${positionals.join(' ')}`);
    const out = values['out'];
    if (typeof out !== 'string' || out === '') throw new UsageError('--out FILE.onnx is required');
    ensureWritableFile('out', out);
    const config = configFromFlags(values);
    const tasks = (['emotion', 'gender'] as HeadTask[]).filter((t) => config[`${t}.enabled`]);
    if (tasks.length === 0) throw new UsageError('both heads are left out; nothing to export');
    await initBackend(config['backend'] as BackendChoice, context.log);
    let heads: Heads = {};
    try {
      heads = await loadHeads(Object.fromEntries(tasks.map((task) => [task, config[`${task}.model`]])), headLoadOptions(config, context.log));
      const layout = onnxHeads(heads);
      const list = tasks.map((task) => [task, heads[task]!] as const);
      const metadata: Record<string, string> = {};
      for (const [task, head] of list) {
        metadata[`${task}.model`] = head.manifest.id;
        metadata[`${task}.labels`] = JSON.stringify(head.labels);
        metadata[`${task}.input`] = JSON.stringify([1, head.inputHeight, head.inputWidth]);
        metadata[`${task}.scaling`] = head.scaling;
      }
      const model = exportOnnx(layout.graphs, { info: { docString: 'face-classification heads (Arriaga et al., arXiv 1710.07557)', metadata } });
      fs.writeFileSync(out, model);
      context.log.info({ out, bytes: model.byteLength, heads: tasks }, 'onnx model written');
      context.emit({
        out,
        bytes: model.byteLength,
        heads: Object.fromEntries(list.map(([task, head]) => [task, { model: head.manifest.id, input: layout.inputOf[task], output: onnxNames(task).output, shape: [head.inputHeight, head.inputWidth], labels: head.labels }])),
        check: verify(heads),
      });
    } finally {
      for (const head of Object.values(heads)) head.dispose();
    }
    return 0;
  },
};
