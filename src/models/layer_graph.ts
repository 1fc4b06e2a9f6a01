/**
 * The layers some outputs depend on, the outputs included: a walk back along each layer's inputs.
 * One walk for every part that cuts a network down (one head of a dual model, Grad-CAM's tail, a
 * head's Keras config). `inputsOf` answers a layer's input names, or undefined where the name is no
 * layer of the network; a name `stopAt` accepts is neither kept nor walked past.
 */
export function layersNeeded(
  outputs: readonly string[],
  inputsOf: (name: string) => readonly string[] | undefined,
  stopAt: (name: string) => boolean = () => false,
): Set<string> {
  const needed = new Set<string>();
  const pending = [...outputs];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (needed.has(name) || stopAt(name)) continue;
    const inputs = inputsOf(name);
    if (!inputs) throw new Error(`layer ${name} not found`);
    needed.add(name);
    pending.push(...inputs);
  }
  return needed;
}
