/**
 * Training jobs in Electron's utility processes: the packaged app's runAsNode fuse is off,
 * and child_process.fork from the main process depends on it (it runs Electron's binary as
 * Node through ELECTRON_RUN_AS_NODE), so main.ts installs this launcher instead
 * (train/job-process.ts). Messages are structured clones, as with fork.
 */
import { utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import { JOB_ARG, type JobLauncher, type JobMessage } from '../train/job-process.js';

export const utilityProcessJob: JobLauncher = (entry, listener) => {
  const child = utilityProcess.fork(fileURLToPath(entry), [JOB_ARG], { serviceName: 'TaskPack training', stdio: 'inherit' });
  let gone = false;
  child.on('message', (m: JobMessage) => {
    listener.message(m);
    // The answer is a job's last word, sent once all is written: its process need not linger.
    if (!('event' in m)) child.kill();
  });
  child.on('exit', (code) => {
    gone = true;
    listener.exit(code ? `exited with code ${code}` : null);
  });
  return {
    send: (m) => { if (!gone) child.postMessage(m); },
    kill: () => { child.kill(); },
    // A utility process ends with the app; it never holds the app open.
    unref: () => {},
  };
};
