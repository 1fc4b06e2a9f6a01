/**
 * Where each camera's results go in the output bag: the topics the node would publish for that
 * camera (`~/faces`, `~/detections`, `~/detections/gender`, `~/debug_image`) under
 * `<camera namespace>/face_classification_node`, the camera's namespace being its image topic's
 * parent (`/head/image_raw` -> `/head`; `/head/image_raw/compressed` -> `/head` too). Two cameras of
 * one namespace (`/stereo/left`, `/stereo/right`) get their whole image topic as namespace instead.
 */
/** The node's default name (src/ros/main.ts): the outputs sit where a live node's would. */
const NODE_NAME = 'face_classification_node';

export interface CameraTopics {
  faces: string;
  detections: string;
  genderDetections: string;
  debugImage: string;
}

function parentNamespace(imageTopic: string): string {
  const base = imageTopic.replace(/\/compressed$/, '');
  const cut = base.lastIndexOf('/');
  return cut <= 0 ? '' : base.slice(0, cut);
}

function under(namespace: string): CameraTopics {
  const node = `${namespace}/${NODE_NAME}`;
  return { faces: `${node}/faces`, detections: `${node}/detections`, genderDetections: `${node}/detections/gender`, debugImage: `${node}/debug_image` };
}

/** The output topics of each image topic. */
export function cameraTopics(imageTopics: readonly string[]): Map<string, CameraTopics> {
  const parents = imageTopics.map(parentNamespace);
  return new Map(imageTopics.map((topic, i) => [topic, under(parents.filter((p) => p === parents[i]).length > 1 ? topic : parents[i]!)]));
}
