/**
 * The wizard's view of a data file (data/inspect.ts makes it). Types only, so the IPC
 * contract and the renderer depend on the shape without pulling in the importer.
 */
export interface DataPreview {
  format: string;
  encoding: string;
  /** Why the file was read as ISO-8859-1 rather than UTF-8 (the first line that is not UTF-8); null when it was UTF-8 or had a BOM. */
  encodingNote: string | null;
  header: boolean;
  glue: string | null;
  columns: string[];
  chosen: { text: string; pair: string | null; label: string };
  taskType: 'classification' | 'regression';
  /** Class names (classification), in the order the pack will use. */
  labels: string[];
  rows: number;
  /** Rows per label (classification). */
  counts: Record<string, number>;
  sample: { text: string; pair: string | null; label: string }[];
}
