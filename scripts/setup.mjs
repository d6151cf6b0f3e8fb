#!/usr/bin/env node
// Makes a fresh clone runnable: checks Node, installs dependencies when they are missing or
// stale, and compiles the TypeScript. Every step says what it does; nothing runs twice needlessly.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`[setup] ${line}\n`);

const [major] = process.versions.node.split('.').map(Number);
if (major !== 20) {
  say(`Node ${process.versions.node} found; Inflow needs Node 20 (uWebSockets.js ships native builds up to Node 20).`);
  process.exit(1);
}

// Native modules (better-sqlite3) compile against this Node's own headers when it ships them
// (Debian's nodejs does), so node-gyp never needs to download them.
const headers = join(dirname(process.execPath), '..', 'include', 'node');
const env = { ...process.env };
if (!env.npm_config_nodedir && existsSync(join(headers, 'node.h'))) env.npm_config_nodedir = join(headers, '..', '..');

function run(command, args, cwd = root) {
  const started = Date.now();
  say(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', env });
  if (result.status !== 0) {
    say(`failed: ${command} ${args.join(' ')} (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  say('installing dependencies (the first time compiles better-sqlite3 from source: about two minutes)');
  // `npm install`, not `npm ci`: the registry here serves only this platform's builds of
  // packages such as rollup, so the lock file cannot list the others and `npm ci` refuses it.
  run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts']);
} else {
  say('dependencies up to date');
}
say('compiling TypeScript');
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
say('bundling the tracker (rollup)');
const rollup = join(root, 'node_modules', 'rollup', 'dist', 'bin', 'rollup');
run(process.execPath, [rollup, '--silent', '-c'], join(root, 'packages', 'sdk'));
run(process.execPath, [rollup, '--silent', '-c'], join(root, 'examples', 'spa'));
