/** The command table: one file per command, listed here in the order `--help` shows them. */
import type { CommandSpec } from '../command.js';
import { baseCommand } from './base.js';
import { doctorCommand } from './doctor.js';
import { embedCommand } from './embed.js';
import { evalCommand } from './eval.js';
import { exportModelCommand } from './export-model.js';
import { exploreCommand } from './explore.js';
import { inferCommand } from './infer.js';
import { packCommand } from './pack.js';
import { serveCommand } from './serve.js';
import { storageCommand } from './storage.js';
import { trainCommand } from './train.js';
import { trustCommand } from './trust.js';

export const COMMANDS: readonly CommandSpec[] = [doctorCommand, baseCommand, embedCommand, trainCommand, exploreCommand, evalCommand, inferCommand, packCommand, trustCommand, exportModelCommand, storageCommand, serveCommand];
