/** The data service: import, split and batch labelled text (see each module's header). */
export { epochBatches, epochRng, lengthBuckets, paddingFraction } from './batching.js';
export { NO_PAIR, type ColumnRef } from './columns.js';
export { fingerprintRows, importDataset, readingWarnings, type DataFormat, type Dataset, type ImportOptions, type LabelledRow } from './dataset.js';
export { DataError } from './errors.js';
export { GLUE_LAYOUTS, glueTaskOfPath } from './glue.js';
export { orderLabels } from './labels.js';
export {
  DEFAULT_DEV_FRACTION, loadTrainDev, QNLI_DEV_FRACTION, qnliDevDerivedSplit, splitDataset, stratifiedDevIndices, stratifiedSample,
} from './split.js';
