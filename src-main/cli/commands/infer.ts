/** `taskpack infer --pack PACK --text T [--text-pair T2]`: one prediction with a task pack. */
import { softmax } from '../../infer/evaluate.js';
import { PackPredictor } from '../../infer/pack-inference.js';
import { UsageError, type CommandSpec } from '../command.js';
import { readPackFile } from './eval.js';

export const inferCommand: CommandSpec = {
  name: 'infer',
  summary: 'predict with a task pack',
  synopsis: '--pack PACK --text T [--text-pair T2]',
  options: { pack: { type: 'string' }, text: { type: 'string' }, 'text-pair': { type: 'string' } },
  async run(ctx, values) {
    const bytes = readPackFile(values.pack);
    const text = values.text, pair = values['text-pair'];
    if (typeof text !== 'string') throw new UsageError('--text is required');
    const model = await PackPredictor.open(ctx.home, bytes, { log: ctx.log });
    try {
      if (model.task.pair !== (typeof pair === 'string')) throw new UsageError(model.task.pair ? 'this pack reads text pairs: give --text-pair' : 'this pack reads single texts: drop --text-pair');
      const scores = await model.scores([{ text, ...(typeof pair === 'string' ? { pair } : {}) }]);
      if (model.task.type === 'regression') return { value: { score: scores[0] }, human: `score ${scores[0].toFixed(4)}` };
      const probs = softmax(scores);
      const best = probs.indexOf(Math.max(...probs));
      const label = model.content.task.labels[best];
      return { value: { label, scores: probs }, human: `${label} (${probs.map((p, i) => `${model.content.task.labels[i]} ${p.toFixed(3)}`).join(', ')})` };
    } finally {
      await model.dispose();
    }
  },
};
