import { buildArchitecture, buildDualHeadMiniXception, type ArchitectureName, type BuiltModel } from '../architectures/cnn.js';

/**
 * What a gradient worker needs to build the same network as the trainer (its weights are sent
 * with every step, so the seed only has to give the same shapes).
 */
export type ModelSpec =
  | { kind: 'single'; architecture: ArchitectureName; inputShape: [number, number, number]; classes: number; seed: number }
  | { kind: 'dual'; inputShape: [number, number, number]; emotionClasses: number; genderClasses: number; seed: number };

export function buildFromSpec(spec: ModelSpec): BuiltModel {
  return spec.kind === 'single'
    ? buildArchitecture(spec.architecture, { inputShape: spec.inputShape, classes: spec.classes, seed: spec.seed })
    : buildDualHeadMiniXception({ inputShape: spec.inputShape, emotionClasses: spec.emotionClasses, genderClasses: spec.genderClasses, seed: spec.seed });
}
