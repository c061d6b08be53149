/** The GLUE tasks and the metrics GLUE reports for each (computed in metrics.ts). */
export type MetricName = 'accuracy' | 'f1' | 'mcc' | 'pearson' | 'spearman';

/** Each GLUE task's official metrics, the first one being the one GLUE leads with. */
export const GLUE_TASK_METRICS = {
  CoLA: ['mcc'],
  'SST-2': ['accuracy'],
  MRPC: ['f1', 'accuracy'],
  'STS-B': ['pearson', 'spearman'],
  QQP: ['f1', 'accuracy'],
  MNLI: ['accuracy'],
  QNLI: ['accuracy'],
  RTE: ['accuracy'],
  WNLI: ['accuracy'],
} as const satisfies Record<string, readonly MetricName[]>;

export type GlueTask = keyof typeof GLUE_TASK_METRICS;

export const isGlueTask = (name: string): name is GlueTask => Object.hasOwn(GLUE_TASK_METRICS, name);
