#!/usr/bin/env node
// Provisions the services of the distributed engine natively (no Docker here):
//   node scripts/stack.mjs up [redis pulsar elasticsearch]   install or reuse, start, wait until ready
//   node scripts/stack.mjs down                               stop what `up` started
//   node scripts/stack.mjs restart pulsar                     stop and start, keeping the data
//   node scripts/stack.mjs restart --kill pulsar              the same after a crash (SIGKILL, no clean stop)
//   node scripts/stack.mjs pause|resume elasticsearch         hang a service (SIGSTOP) and let it go on
//   node scripts/stack.mjs status | env
// Downloads are cached in $INFLOW_STACK_CACHE; each `up` starts from empty data so tests see a
// clean cluster. As root the default is /var/cache/inflow-stack, not root's home: Elasticsearch
// runs as its own user, which cannot enter a 0700 /root.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { say } from './stack/log.mjs';
import { isAlive, portOpen, stopProcess, waitUntil } from './stack/processes.mjs';
import { services, stackEnv } from './stack/services.mjs';

const isRoot = process.getuid?.() === 0;
const cacheDir = process.env.INFLOW_STACK_CACHE ?? (isRoot ? '/var/cache/inflow-stack' : join(homedir(), '.cache', 'inflow-stack'));
mkdirSync(cacheDir, { recursive: true });
// Service users must be able to enter the cache (never more: it is not world-writable).
if (isRoot) chmodSync(cacheDir, 0o755);
const runRoot = join(cacheDir, 'run');
// One file per service: restarts of different services may overlap (fault tests restart Redis
// while Elasticsearch restarts), and a shared file would lose one of their updates.
const stateFileOf = (name) => join(runRoot, `${name}.process.json`);
/** state.json of an older checkout, which kept every service in one file. */
const sharedStateFile = join(runRoot, 'state.json');

const readState = () => {
  const state = existsSync(sharedStateFile) ? JSON.parse(readFileSync(sharedStateFile, 'utf8')) : {};
  for (const name of Object.keys(services)) {
    if (existsSync(stateFileOf(name))) state[name] = JSON.parse(readFileSync(stateFileOf(name), 'utf8'));
  }
  return state;
};
/** Records (or, with no entry, forgets) one service's process, written whole or not at all. */
const saveState = (name, entry) => {
  mkdirSync(runRoot, { recursive: true });
  if (existsSync(sharedStateFile)) {
    try {
      for (const [other, value] of Object.entries(JSON.parse(readFileSync(sharedStateFile, 'utf8')))) {
        if (!existsSync(stateFileOf(other))) writeFileSync(stateFileOf(other), JSON.stringify(value));
      }
      rmSync(sharedStateFile, { force: true });
    } catch (error) {
      // Another command migrated it first.
      if (error.code !== 'ENOENT') throw error;
    }
  }
  if (!entry) return rmSync(stateFileOf(name), { force: true });
  const partial = `${stateFileOf(name)}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(entry, null, 2));
  renameSync(partial, stateFileOf(name));
};

async function up(names) {
  const state = readState();
  for (const name of names) {
    const service = services[name];
    if (!service) throw new Error(`unknown service ${name} (known: ${Object.keys(services).join(', ')})`);
    const previous = state[name];
    if (previous && isAlive(previous.pid)) {
      if (await service.ready().catch(() => false)) {
        say(`${name}: already running (pid ${previous.pid})`);
        continue;
      }
      // Started by this script with other settings (an older checkout), or hung: started afresh.
      say(`${name}: running (pid ${previous.pid}) but not ready as configured; restarting it`);
      await stopProcess(name, previous.pid);
    }
    if (await service.ready().catch(() => false)) {
      say(`${name}: already answering on its port (started elsewhere); using it`);
      continue;
    }
    for (const port of service.ports) {
      if (await portOpen(port)) throw new Error(`${name}: port ${port} is taken by another process; stop it first`);
    }
    await service.install(cacheDir);
    await launch(name, state, { fresh: true });
  }
  say(`up: ${names.join(', ')}`);
}

/** Starts a service; `fresh` empties its data first, otherwise it comes back with what it had. */
async function launch(name, state, { fresh }) {
  const service = services[name];
  const runDir = join(runRoot, name);
  if (fresh) rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const logFile = join(runDir, 'service.log');
  if (fresh) writeFileSync(logFile, '');
  say(`${name}: starting (log: ${logFile})`);
  for (const port of service.ports) {
    // A service just stopped may hold its port for a moment while the kernel closes it.
    for (let waited = 0; waited < 10_000 && (await portOpen(port)); waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    if (await portOpen(port)) throw new Error(`${name}: port ${port} is still taken by another process; stop it first`);
  }
  const pid = service.start(runDir, logFile, cacheDir);
  state[name] = { pid, logFile };
  saveState(name, state[name]);
  await waitUntil(name, service.ready, { pid, timeoutMs: service.timeoutMs, logFile });
}

/** Stops and starts services keeping their data, as an operator's restart (or, `hard`, a crash) would. */
async function restart(names, { hard }) {
  const state = readState();
  for (const name of names) {
    if (!state[name]) throw new Error(`${name} was not started by this script`);
    await stopProcess(name, state[name].pid, undefined, { hard });
    await launch(name, state, { fresh: false });
  }
}

/** SIGSTOP / SIGCONT to a service's process group: a hung service, not a stopped one (fault tests). */
function signalService(names, signal) {
  const state = readState();
  for (const name of names) {
    if (!state[name]) throw new Error(`${name} was not started by this script`);
    process.kill(-state[name].pid, signal);
    say(`${name}: ${signal === 'SIGSTOP' ? 'paused' : 'resumed'}`);
  }
}

/** Stops the named services this script started (all of them when none are named). */
async function down(names) {
  const state = readState();
  for (const [name, { pid }] of Object.entries(state)) {
    if (!names.includes(name)) continue;
    await stopProcess(name, pid);
    delete state[name];
    saveState(name, undefined);
  }
}

async function status() {
  const state = readState();
  for (const name of Object.keys(services)) {
    const entry = state[name];
    const ready = await services[name].ready().catch(() => false);
    console.log(`${name.padEnd(14)} ${entry && isAlive(entry.pid) ? `pid ${entry.pid}` : 'not started'}${ready ? ', ready' : ''}`);
  }
}

const [command = 'status', ...rest] = process.argv.slice(2);
const hard = rest.includes('--kill');
const named = rest.filter((arg) => arg !== '--kill');
const names = named.length > 0 ? named : Object.keys(services);
try {
  if (command === 'up') await up(names);
  else if (command === 'down') await down(names);
  else if (command === 'restart') await restart(names, { hard });
  else if (command === 'pause') signalService(names, 'SIGSTOP');
  else if (command === 'resume') signalService(names, 'SIGCONT');
  else if (command === 'status') await status();
  else if (command === 'env') for (const [key, value] of Object.entries(stackEnv(cacheDir))) console.log(`${key}=${value}`);
  else throw new Error(`unknown command ${command} (up, down, restart, pause, resume, status, env)`);
} catch (error) {
  say(`failed: ${error.message}`);
  process.exit(1);
}
