/** Well-known header names (lower case), in order of preference, for column choice and header detection. */
export const LABEL_NAMES = ['label', 'labels', 'gold_label', 'class', 'category', 'target', 'score', 'quality', 'is_duplicate', 'sentiment', 'y'];
export const TEXT_NAMES = ['text', 'text_a', 'question', 'question1', 'sentence1', 'premise', '#1 string', 's1', 'sentence', 'message', 'sms', 'content', 'review', 'document', 'tweet'];
export const PAIR_NAMES = ['pair', 'text_pair', 'text_b', 'sentence2', 'question2', 'hypothesis', '#2 string', 's2', 'sentence'];

const KNOWN = new Set([...LABEL_NAMES, ...TEXT_NAMES, ...PAIR_NAMES]);
export const isKnownColumnName = (value: string): boolean => KNOWN.has(value.trim().toLowerCase());
