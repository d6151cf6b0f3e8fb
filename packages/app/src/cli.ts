#!/usr/bin/env node
import { ConfigError, createLogger, errorMessage } from '@inflow/core';
import { UwsFallbackError } from '@inflow/edge';
import { SECRET_ENV_PREFIX } from '@inflow/workers';
import { ALL_ROLES, createInflow, type Role, setUpServices } from './app.js';
import { DEAD_LETTERS_USAGE, deadLettersCommand } from './cli/dead-letters-command.js';
import { DESTINATIONS_USAGE, destinationsCommand } from './cli/destinations-command.js';
import { RULES_USAGE, rulesCommand } from './cli/rules-command.js';
import { SOURCES_USAGE, sourcesCommand } from './cli/sources-command.js';
import { STATUS_USAGE, statusCommand } from './cli/status-command.js';
import { TRACE_USAGE, traceCommand } from './cli/trace-command.js';
import { CONFIG_KEYS, envName, parseConfig, SECRET_SETTINGS } from './config/config.js';
import { loadConfig } from './config/load-config.js';

const USAGE = `Usage: inflow [command] [--config file.json]

Commands:
  run          edge, collector, workflow and dispatch in one process (default)
  edge         only the public edge and the private API      (distributed engine)
  collector    only the collector worker                      (distributed engine)
  workflow     only the workflow worker: rules on stored events  (distributed engine)
  dispatch     only the dispatch worker: delivery to destinations (distributed engine)
  api          only the private API, without the public edge     (distributed engine)
  setup        create the queue's topics and subscriptions and the store's indices, then exit
               (idempotent; every role also does it at start: run it as a deployment's set-up job)
  config       print every setting: its environment variable, default and current value

Commands that call the private API of a running inflow (its host, port and token from the same settings):
${STATUS_USAGE}
${TRACE_USAGE}
${DEAD_LETTERS_USAGE}
${SOURCES_USAGE}
${DESTINATIONS_USAGE}
${RULES_USAGE}

Settings come from the JSON file (--config or INFLOW_CONFIG) and the environment (wins).`;

/** Commands that call the private API of a running inflow. */
const API_COMMANDS = {
  status: statusCommand,
  trace: traceCommand,
  'dead-letters': deadLettersCommand,
  sources: sourcesCommand,
  destinations: destinationsCommand,
  rules: rulesCommand,
};

const COMMANDS: Record<string, readonly Role[]> = {
  run: ALL_ROLES,
  edge: ['edge'],
  collector: ['collector'],
  workflow: ['workflow'],
  dispatch: ['dispatch'],
  api: ['api'],
};

const isApiCommand = (command: string): command is keyof typeof API_COMMANDS => Object.hasOwn(API_COMMANDS, command);

const API_USAGE: Record<keyof typeof API_COMMANDS, string> = {
  status: STATUS_USAGE,
  trace: TRACE_USAGE,
  'dead-letters': DEAD_LETTERS_USAGE,
  sources: SOURCES_USAGE,
  destinations: DESTINATIONS_USAGE,
  rules: RULES_USAGE,
};

/** `inflow sources --help`: that command's lines, not the whole list. */
function commandUsage(command: keyof typeof API_COMMANDS): string {
  return `Usage: inflow [--config file.json] ${command} …\n\n${API_USAGE[command]}\n\nCalls the private API of a running inflow: its host, port and token come from the settings (the JSON file, then the environment). inflow --help lists every command.`;
}

async function main(argv: string[]): Promise<number> {
  const configAt = argv.indexOf('--config');
  const configFile = configAt >= 0 ? argv[configAt + 1] : undefined;
  const command = argv.find((arg, i) => !arg.startsWith('-') && argv[i - 1] !== '--config') ?? 'run';
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write((isApiCommand(command) ? commandUsage(command) : USAGE) + '\n');
    return 0;
  }
  if (isApiCommand(command)) {
    const args = argv.filter((_, i) => configAt < 0 || (i !== configAt && i !== configAt + 1));
    const output = { stdout: (text: string) => process.stdout.write(text), stderr: (text: string) => process.stderr.write(text) };
    return API_COMMANDS[command](args.slice(args.indexOf(command) + 1), loadConfig(process.env, configFile), output);
  }
  if (command === 'config') {
    const defaults = parseConfig({}, {});
    const current = loadConfig(process.env, configFile);
    process.stdout.write(`${'key'.padEnd(20)} ${'environment'.padEnd(32)} ${'default'.padEnd(14)} current\n`);
    for (const key of CONFIG_KEYS) {
      const shown = (value: unknown): string => (SECRET_SETTINGS.has(key) && value ? '(set)' : String(value ?? '-'));
      if (key === 'secrets') continue;
      process.stdout.write(`${key.padEnd(20)} ${envName(key).padEnd(32)} ${shown(defaults[key]).padEnd(14)} ${shown(current[key])}\n`);
    }
    // Secrets by name only: their values are never printed.
    const secrets = Object.keys(current.secrets).map((name) => `${name} (set)`).join(', ') || '-';
    process.stdout.write(`${'secrets'.padEnd(20)} ${(SECRET_ENV_PREFIX + '<NAME>').padEnd(32)} ${'-'.padEnd(14)} ${secrets}\n`);
    return 0;
  }
  if (command === 'setup') {
    const config = loadConfig(process.env, configFile);
    await setUpServices(config, createLogger({ level: config.logLevel, format: config.logFormat }));
    return 0;
  }
  const roles = COMMANDS[command];
  if (command === 'background') {
    process.stderr.write('inflow: the background storage role is gone: collectors now store what they collect; run more collectors instead\n');
    return 2;
  }
  if (!roles) {
    process.stderr.write(`inflow: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }

  const config = loadConfig(process.env, configFile);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  if (command !== 'run' && config.engine === 'embedded') {
    logger.error(`"inflow ${command}" runs one role of the distributed engine; the embedded engine runs every role in one process: use "inflow run"`);
    return 2;
  }
  const inflow = createInflow(config, roles, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received`);
    const force = setTimeout(() => {
      logger.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + config.drainDelayMs + 5_000);
    force.unref();
    inflow.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${errorMessage(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await inflow.start();
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof UwsFallbackError) {
      process.stderr.write(`inflow: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`inflow: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
