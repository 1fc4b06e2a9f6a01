/** Moved to src/messages/ (ROS-free, shared with the bag reader); kept here so the node's imports stay. */
export * from '../../messages/image_conversion.js';
