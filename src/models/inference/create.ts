import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { errorMessage } from '../../errors.js';
import { headsOf, type EngineChoice, type Heads, type HeadsEngine } from './engine.js';
import { loadOnnxRuntime, OnnxRuntimeEngine, type OnnxProvider } from './onnxruntime.js';
import { TfjsEngine } from './tfjs.js';

/**
 * `auto` takes the engines in the order measured fastest on a loaded 2-core x86 machine
 * (scripts/bench_heads.ts; docs/models.md, "Inference engines"): onnxruntime, then TF.js.
 * (OpenCV dnn, also measured, was 1.3-2x faster than TF.js wasm and 5-10x slower than onnxruntime.)
 */
export const AUTO_ORDER: readonly Exclude<EngineChoice, 'auto'>[] = ['onnxruntime', 'tfjs'];

let fallbackLogged = false;

/** The configured engine over loaded heads (inference.engine, inference.threads, ...). */
export function createHeadsEngine(heads: Heads, config: Config, log: Logger = silentLogger): HeadsEngine {
  const choice = config['inference.engine'] as EngineChoice;
  // Both heads off (detection only): nothing to run, so no engine is started (nor warned about).
  if (headsOf(heads).length === 0) return new TfjsEngine(heads);
  const build = (name: Exclude<EngineChoice, 'auto'>): HeadsEngine => {
    if (name === 'onnxruntime') {
      return OnnxRuntimeEngine.create(heads, { threads: config['inference.threads'], spinning: config['inference.spinning'], provider: config['inference.provider'] as OnnxProvider });
    }
    return new TfjsEngine(heads);
  };
  let engine: HeadsEngine | undefined;
  if (choice !== 'auto') {
    engine = build(choice);
  } else {
    for (const name of AUTO_ORDER) {
      if (name === 'onnxruntime') {
        const runtime = loadOnnxRuntime();
        if (runtime instanceof Error) {
          // Logged once a process: every head load (CLI commands, tests) would repeat it otherwise.
          if (!fallbackLogged) log.info({ engine: 'onnxruntime', reason: runtime.message, fallback: 'tfjs' }, 'inference engine unavailable');
          fallbackLogged = true;
          continue;
        }
      }
      try {
        engine = build(name);
        break;
      } catch (error) {
        log.warn({ engine: name, reason: errorMessage(error) }, 'inference engine failed to start; trying the next');
      }
    }
    engine ??= new TfjsEngine(heads);
  }
  log.info({ ...engine.details, requested: choice }, 'inference engine ready');
  return engine;
}
