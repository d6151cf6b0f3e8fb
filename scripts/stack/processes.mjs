// Starting, probing and stopping the native service processes.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { say } from './log.mjs';

/** Starts a detached process that logs to `logFile`; returns its pid. */
export function startDetached(command, args, { env = {}, cwd, logFile, uid, gid }) {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', out, out],
    ...(uid === undefined ? {} : { uid, gid }),
  });
  closeSync(out);
  child.unref();
  return child.pid;
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Polls `check` until it is true, saying how long it has waited; fails if `pid` dies. */
export async function waitUntil(name, check, { pid, timeoutMs, logFile }) {
  const started = Date.now();
  let lastSaid = 0;
  for (;;) {
    if (await check().catch(() => false)) {
      say(`${name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    if (pid !== undefined && !isAlive(pid)) throw new Error(`${name} exited while starting; see ${logFile}`);
    if (Date.now() - started > timeoutMs) throw new Error(`${name} not ready after ${timeoutMs / 1000} s; see ${logFile}`);
    if (Date.now() - lastSaid > 5000) {
      lastSaid = Date.now();
      say(`${name}: waiting… ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** SIGTERM to the process group, SIGKILL after `graceMs` (at once with `hard`: a crash, for fault tests). */
export async function stopProcess(name, pid, graceMs = 20_000, { hard = false } = {}) {
  if (!pid || !isAlive(pid)) return;
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal(hard ? 'SIGKILL' : 'SIGTERM');
  const until = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) {
    say(`${name}: did not stop in ${graceMs / 1000} s, killing`);
    signal('SIGKILL');
  }
  say(`${name}: ${hard ? 'killed (SIGKILL)' : 'stopped'}`);
}
