/** Explanations of the classifier heads: guided backpropagation, Grad-CAM, guided Grad-CAM. */
export { explainFaces, type ExplainOptions } from './explainer.js';
export { EXPLAIN_METHODS, ExplanationError, type ExplainMethod, type Explanation, type GradientRule, type TargetSpec } from './types.js';
export { explanationOps } from './guided.js';
export { inputGradients } from './gbp.js';
export { gradCam } from './gradcam.js';
export { renderExplanationFrame, saliencyImage, heatmapImage, overlayImage, normalizeMap, enlarge, type FrameMap, type FrameRenderOptions, type MapImage } from './render.js';
export { timeExplanations, type ExplainTiming } from './timing.js';
