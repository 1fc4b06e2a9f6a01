/**
 * Where each camera's results go in the output bag: the topics the node would publish for that
 * camera (`~/faces`, `~/detections`, `~/detections/gender`, `~/debug_image`) under
 * `<camera namespace>/face_classification_node`, the namespace being the one the launch file's
 * `cameras:=` gives that camera's node (camera_namespace in launch/face_classification.launch.py):
 * its topic without the last name (`/head/image_raw` -> `/head`), a topic directly under the root
 * its own (`/image_left` -> `/image_left`). A recorded `.../compressed` topic is its camera's
 * (`/head/image_raw/compressed` -> `/head`). Where the launch file refuses two cameras of one
 * namespace (`/stereo/left`, `/stereo/right`), a bag has them anyway: each gets its whole image
 * topic as namespace instead.
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
  const names = imageTopic.replace(/\/compressed$/, '').split('/').filter(Boolean);
  return `/${(names.length > 1 ? names.slice(0, -1) : names).join('/')}`;
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
