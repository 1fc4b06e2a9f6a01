/**
 * The environment the installed `face_classification_node` launcher (CMakeLists.txt) gives the node,
 * for tools that start the node's script directly (the ROS benchmark), so they measure the node as
 * installed. MALLOC_ARENA_MAX: see CMakeLists.txt (fewer glibc arenas, lower peak RSS).
 */
export function nodeEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2' };
}
