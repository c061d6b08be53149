/**
 * Import a Hugging Face BERT folder (config.json; model.safetensors or pytorch_model.bin;
 * tokenizer.json or vocab.txt [+ tokenizer_config.json]) as a canonical base. Everything
 * is read and validated first; only then is the base written, atomically, so a bad
 * folder leaves nothing behind.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkBaseId, saveBase, type BaseManifest } from '../base-store.js';
import { parseBertConfig } from './config.js';
import { BertImportError } from './errors.js';
import { mapHfWeights } from './hf-weights.js';
import { readSafetensors } from './safetensors.js';
import { BertTokenizer, parseVocabTxt, tokenizerJsonFromVocab, wordPieceOptions } from './tokenizer.js';
import { readTorchBin } from './torch-bin.js';

export interface BertImportResult {
  manifest: BaseManifest;
  /** Which files were used. */
  sources: { weights: string; tokenizer: string };
  /** Checkpoint tensors the base does not use (pretraining heads, buffers). */
  ignored: string[];
}

/** A base id from a folder name: lower-cased, other characters folded to '-'. */
export function idFromFolder(dir: string): string {
  const id = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  return id || 'bert';
}

export function importBertFolder(dir: string, home: string, opts: { id?: string; displayName?: string } = {}): BertImportResult {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BertImportError(`${dir}: not a directory`);
  const id = checkBaseId(opts.id ?? idFromFolder(dir));
  const file = (name: string) => join(dir, name);
  const readText = (name: string) => (existsSync(file(name)) ? readFileSync(file(name), 'utf8') : undefined);

  const configText = readText('config.json');
  if (configText === undefined) throw new BertImportError(`${dir}: config.json is missing`);
  const config = parseBertConfig(configText);

  let weightsFile: string;
  let raw;
  if (existsSync(file('model.safetensors'))) {
    weightsFile = 'model.safetensors';
    raw = readSafetensors(readFileSync(file(weightsFile)), weightsFile);
  } else if (existsSync(file('pytorch_model.bin'))) {
    weightsFile = 'pytorch_model.bin';
    raw = readTorchBin(readFileSync(file(weightsFile)), weightsFile);
  } else if (existsSync(file('model.safetensors.index.json')) || existsSync(file('pytorch_model.bin.index.json'))) {
    throw new BertImportError(`${dir}: sharded checkpoints are not supported (merge the shards into one model.safetensors)`);
  } else {
    throw new BertImportError(`${dir}: no weights: expected model.safetensors or pytorch_model.bin`);
  }
  const { weights, ignored } = mapHfWeights(raw, config, weightsFile);

  let tokenizerFile: string;
  let tokenizerJson: string;
  const tj = readText('tokenizer.json');
  if (tj !== undefined) {
    tokenizerFile = 'tokenizer.json';
    tokenizerJson = tj;
  } else {
    const vocab = readText('vocab.txt');
    if (vocab === undefined) throw new BertImportError(`${dir}: no tokenizer: expected tokenizer.json or vocab.txt`);
    tokenizerFile = 'vocab.txt';
    tokenizerJson = tokenizerJsonFromVocab(parseVocabTxt(vocab), wordPieceOptions(readText('tokenizer_config.json')));
  }
  const tokenizer = new BertTokenizer(tokenizerJson, tokenizerFile);
  if (tokenizer.idLimit > config.vocabSize) {
    throw new BertImportError(`${tokenizerFile}: token ids reach ${tokenizer.idLimit - 1} but config.json has vocab_size ${config.vocabSize}`);
  }

  const manifest = saveBase(home, {
    id,
    architecture: 'bert',
    displayName: opts.displayName ?? basename(resolve(dir)),
    config,
    maxLength: config.maxPositions,
    weights,
    tokenizerJson,
  });
  return { manifest, sources: { weights: weightsFile, tokenizer: tokenizerFile }, ignored };
}
