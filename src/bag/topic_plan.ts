/**
 * Which topics of a bag are processed: the image topics (sensor_msgs Image or CompressedImage)
 * named with --topic, or every image topic when none is named.
 */
import type { BagTopic } from './bag_reader.js';
import { IMAGE_TYPES } from './image_input.js';

/** The image topics to process, or why the request cannot be met (a usage problem, found before any work). */
export function planTopics(topics: readonly BagTopic[], requested: readonly string[]): { images: BagTopic[] } | { problem: string } {
  const images = topics.filter((t) => IMAGE_TYPES.includes(t.type));
  const list = (ts: readonly BagTopic[]): string => ts.map((t) => `${t.name} (${t.type || 'no type'})`).join(', ') || 'none';
  if (requested.length === 0) {
    if (images.length === 0) return { problem: `the bag has no sensor_msgs/msg/Image or CompressedImage topic; its topics: ${list(topics)}` };
    return { images };
  }
  const chosen: BagTopic[] = [];
  for (const name of new Set(requested)) {
    const topic = topics.find((t) => t.name === name);
    if (!topic) return { problem: `--topic ${name}: no such topic in the bag; its image topics: ${list(images)}` };
    if (!IMAGE_TYPES.includes(topic.type)) return { problem: `--topic ${name}: is ${topic.type || 'of no known type'}, not sensor_msgs/msg/Image or CompressedImage` };
    chosen.push(topic);
  }
  return { images: chosen };
}
