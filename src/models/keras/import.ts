import * as tf from '@tensorflow/tfjs';
import { ModelFileError, errorMessage } from '../../errors.js';
import { Network } from '../network.js';
import { readKerasHdf5 } from './hdf5.js';
import { parseKerasGraph } from './layers.js';

/**
 * Import a Keras 2.x HDF5 model (model_config + model_weights) as a Network. A dry run on a zero
 * input proves that the weights fit the architecture before the model is used.
 */
export async function importKerasModel(file: string): Promise<Network> {
  const keras = await readKerasHdf5(file);
  const graph = parseKerasGraph(file, keras.modelConfig, keras.weights);
  const network = new Network(graph.layers, graph.inputName, graph.outputNames);
  try {
    tf.tidy(() => {
      const probe = tf.zeros([1, ...network.inputShape]) as tf.Tensor4D;
      for (const output of network.forward(probe).outputs) output.probabilities.dataSync();
    });
  } catch (error) {
    network.dispose();
    throw new ModelFileError(file, `weights do not fit the architecture (${errorMessage(error)})`);
  }
  return network;
}
