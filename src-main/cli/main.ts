/**
 * Entry point of the `taskpack` bin (bin/taskpack.js imports the compiled file). Sets the
 * exit code rather than calling process.exit, so piped stdout is flushed and `serve` can
 * keep running on its open server.
 */
import { createAppServices } from '../app-services.js';
import { runCli } from './run.js';

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  { services: createAppServices },
);
