import { createRequire } from 'node:module';
import { FaceClassificationError, errorMessage } from '../../errors.js';
import { packFaces, toClassifications, type HeadTask } from '../classifier.js';
import { exportOnnx, onnxNames } from '../onnx/export.js';
import { batchesOf, checkTasks, headsOf, sameFaces, sharedModel, type Heads, type HeadInputs, type HeadOutputs, type HeadsEngine } from './engine.js';
import { onnxHeads } from './onnx_heads.js';

/**
 * The heads on onnxruntime-node (an optional dependency; its CPU build installs with
 * ONNXRUNTIME_NODE_INSTALL=skip). At load, every head's imported network is exported to ONE ONNX
 * model in memory (no file is written) with an input and an output per head, so one run answers
 * both heads: two sessions on 2 threads each would spin-wait against each other on a 2-core machine.
 * A head with no faces in a call gets a batch of zero, which onnxruntime runs at no cost. Both heads
 * of one dual model are one graph with one input and two outputs (onnx_heads.ts): given the same
 * faces, one run a batch answers both.
 *
 * Runs are synchronous: the package's public InferenceSession.run only defers the same blocking
 * native call with setImmediate (onnxruntime-node/dist/backend.js), so the pipeline's synchronous
 * frame would gain nothing from it. The native session of dist/binding (declared "a simple
 * synchronized inference session object wrap" by the package) is called directly instead; the
 * package version is pinned for that reason.
 */

interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: Record<string, string> };
}
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  readonly inputMetadata: readonly { name: string }[];
  readonly outputMetadata: readonly { name: string }[];
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, null>, options: Record<string, unknown>): Record<string, OrtTensor>;
  dispose(): void;
}
interface BindingModule {
  binding: { InferenceSession: new () => NativeSession; listSupportedBackends?: () => readonly { name: string }[] };
  initOrt(): void;
}

export interface OnnxRuntime {
  ort: OrtModule;
  binding: BindingModule;
  version: string;
}

let runtime: OnnxRuntime | Error | undefined;

/** onnxruntime-node, or the reason it cannot be used (not installed, no binary for this platform). */
export function loadOnnxRuntime(): OnnxRuntime | Error {
  if (runtime) return runtime;
  try {
    const require = createRequire(import.meta.url);
    const ort = require('onnxruntime-node') as OrtModule;
    const binding = require('onnxruntime-node/dist/binding') as BindingModule;
    if (typeof binding.binding?.InferenceSession !== 'function' || typeof binding.initOrt !== 'function') {
      throw new Error('onnxruntime-node/dist/binding lacks InferenceSession (an untested onnxruntime-node version?)');
    }
    binding.initOrt();
    runtime = { ort, binding, version: ort.env.versions?.['node'] ?? 'unknown' };
  } catch (error) {
    runtime = new Error(errorMessage(error).split('\n')[0]);
  }
  return runtime;
}

export type OnnxProvider = 'cpu' | 'cuda';

export interface OnnxRuntimeOptions {
  /** Intra-op threads; 0 lets onnxruntime choose (one per physical core). */
  threads: number;
  /** Let idle pool threads spin-wait for work: lower latency, but it takes CPU from the detector. */
  spinning: boolean;
  provider: OnnxProvider;
}

export class OnnxRuntimeEngine implements HeadsEngine {
  readonly name = 'onnxruntime' as const;
  readonly combined = true;
  readonly label: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  calls = 0;
  private session: NativeSession | undefined;
  private readonly tasks: HeadTask[];
  private readonly fetches: Record<string, null>;
  /** The graph input each head's faces go to (one for both heads of a dual model). */
  private readonly inputOf: Partial<Record<HeadTask, string>>;
  private readonly shared: boolean;

  private constructor(
    private readonly heads: Heads,
    private readonly ort: OrtModule,
    session: NativeSession,
    options: OnnxRuntimeOptions,
    version: string,
    /** Size of the exported model in bytes. */
    readonly modelBytes: number,
  ) {
    this.session = session;
    this.tasks = headsOf(heads).map(([task]) => task);
    this.fetches = Object.fromEntries(this.tasks.map((task) => [onnxNames(task).output, null]));
    const layout = onnxHeads(heads);
    this.inputOf = layout.inputOf;
    this.shared = sharedModel(heads) !== undefined;
    this.details = { engine: 'onnxruntime', version, provider: options.provider, threads: options.threads, spinning: options.spinning, heads: this.tasks.join('+'), networks: layout.graphs.length };
    this.label = `onnxruntime-${version}-${options.provider}-${options.threads}t${options.spinning ? '-spin' : ''}`;
  }

  /** Export the heads and open one session on them; throws when onnxruntime-node is missing or refuses the model. */
  static create(heads: Heads, options: OnnxRuntimeOptions): OnnxRuntimeEngine {
    const loaded = loadOnnxRuntime();
    if (loaded instanceof Error) throw new FaceClassificationError(`inference engine onnxruntime: onnxruntime-node is not usable (${loaded.message}); install it or set inference.engine to tfjs`);
    const list = headsOf(heads);
    if (list.length === 0) throw new Error('onnxruntime engine: no heads to run');
    const model = exportOnnx(
      onnxHeads(heads).graphs,
      { info: { docString: 'face-classification heads exported at load time', metadata: Object.fromEntries(list.map(([task, head]) => [`${task}.model`, head.manifest.id])) } },
    );
    const spin = options.spinning ? '1' : '0';
    const sessionOptions: Record<string, unknown> = {
      executionProviders: options.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      interOpNumThreads: 1,
      ...(options.threads > 0 ? { intraOpNumThreads: options.threads } : {}),
      extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
    };
    const session = new loaded.binding.binding.InferenceSession();
    try {
      session.loadModel(model.buffer, model.byteOffset, model.byteLength, sessionOptions);
    } catch (error) {
      try {
        session.dispose();
      } catch {
        // A session that failed to load has nothing to release (and says "not initialized").
      }
      throw new FaceClassificationError(`inference engine onnxruntime (${options.provider}): the exported heads did not load (${errorMessage(error).split('\n')[0]})`);
    }
    return new OnnxRuntimeEngine(heads, loaded.ort, session, options, loaded.version, model.byteLength);
  }

  classify(inputs: HeadInputs): HeadOutputs {
    checkTasks(inputs, this.heads, this.name);
    const session = this.session;
    if (!session) throw new Error('onnxruntime engine: used after dispose()');
    // A dual model's graph has one input for both heads: different faces for each take a run each.
    if (this.shared && inputs.emotion?.length && inputs.gender?.length && !sameFaces(inputs.emotion, inputs.gender)) {
      return { ...this.classify({ emotion: inputs.emotion }), ...this.classify({ gender: inputs.gender }) };
    }
    const outputs: HeadOutputs = {};
    for (const call of batchesOf(inputs, this.heads)) {
      // Each graph input's faces: a shared input is fed once, by a head that has faces in this call.
      const fed = new Map<string, { task: HeadTask; faces: readonly Float32Array[] }>();
      for (const task of this.tasks) {
        const input = this.inputOf[task]!;
        const faces = call.find((c) => c.task === task)?.faces ?? [];
        if (!fed.get(input)?.faces.length) fed.set(input, { task, faces });
      }
      const feeds: Record<string, OrtTensor> = {};
      for (const [input, { task, faces }] of fed) {
        const head = this.heads[task]!;
        feeds[input] = new this.ort.Tensor('float32', packFaces(faces, head.inputHeight * head.inputWidth, task), [faces.length, 1, head.inputHeight, head.inputWidth]);
      }
      this.calls++;
      const results = session.run(feeds, this.fetches, {});
      for (const { task, faces } of call) {
        const probabilities = results[onnxNames(task).output]!.data as Float32Array;
        (outputs[task] ??= []).push(...toClassifications(probabilities, this.heads[task]!.labels, faces.length));
      }
    }
    for (const task of Object.keys(inputs) as HeadTask[]) if (this.heads[task]) outputs[task] ??= [];
    return outputs;
  }

  /** True until dispose() has released the native session. */
  get open(): boolean {
    return this.session !== undefined;
  }

  dispose(): void {
    this.session?.dispose();
    this.session = undefined;
  }
}
