/** The one walk that cuts a network down to what some outputs need (heads of a dual model, Grad-CAM's tail). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layersNeeded } from '../../src/models/layer_graph.js';

// input -> a -> b -> head1; a -> c -> head2; b and c -> join (a skip connection)
const graph: Record<string, string[]> = { input: [], a: ['input'], b: ['a'], c: ['a'], head1: ['b'], head2: ['c'], join: ['b', 'c'] };
const inputsOf = (name: string): string[] | undefined => graph[name];

test('an output keeps only the layers on its paths back to the input', () => {
  assert.deepEqual([...layersNeeded(['head1'], inputsOf)].sort(), ['a', 'b', 'head1', 'input']);
  assert.deepEqual([...layersNeeded(['head1', 'head2'], inputsOf)].sort(), ['a', 'b', 'c', 'head1', 'head2', 'input']);
});

test('a stop layer is neither kept nor walked past; paths around it reach further', () => {
  assert.deepEqual([...layersNeeded(['head1'], inputsOf, (n) => n === 'b')].sort(), ['head1']);
  assert.deepEqual([...layersNeeded(['join'], inputsOf, (n) => n === 'b')].sort(), ['a', 'c', 'input', 'join']);
});

test('a name that is no layer is refused by name', () => {
  assert.throws(() => layersNeeded(['nope'], inputsOf), /layer nope not found/);
  assert.throws(() => layersNeeded(['head1'], (n) => (n === 'a' ? undefined : graph[n])), /layer a not found/);
});
