/** An external-data blob of a model: the writer produces it, the reader resolves tensors in it. */
export interface ExternalDataFile {
  /** The location string written in the model's external tensors. */
  path: string;
  data: Uint8Array;
}
