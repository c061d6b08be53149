/** Task losses and in-graph metrics. */
import * as g from '../graph/index.js';
import type { Tensor } from '../graph/index.js';

/** Mean softmax cross-entropy: −mean_b log softmax(logits)_b[label_b]; labels int32 [batch]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const picked = g.gatherElements(g.logSoftmax(logits, -1), g.unsqueeze(labels, [1]), 1);
  // The batch axis is symbolic, so the mean divides by a count taken from the data.
  return g.neg(g.div(g.reduceSum(picked), g.reduceSum(g.onesLike(picked))));
}

/** How many rows have their label's logit at the row maximum (argmax without int64 ops). */
export function correctCount(logits: Tensor, labels: Tensor): Tensor {
  const atLabel = g.gatherElements(logits, g.unsqueeze(labels, [1]), 1);
  return g.reduceSum(g.cast(g.equal(atLabel, g.reduceMax(logits, [1], true)), 'float32'));
}
