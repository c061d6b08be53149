/** Every problem with a Hugging Face BERT folder surfaces as this error, naming the file and the fault. */
export class BertImportError extends Error {}

/** A pickle that asks for anything beyond plain tensors: refused before anything runs. */
export class UnsafePickleError extends BertImportError {}
