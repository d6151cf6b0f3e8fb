import { readFileSync } from 'node:fs';
import { ConfigError } from '@inflow/core';
import { parseConfig, type Config } from './config.js';

/** Reads the optional JSON config file (INFLOW_CONFIG or --config) and the environment. */
export function loadConfig(env: Record<string, string | undefined>, configFile?: string): Config {
  const file = configFile ?? env['INFLOW_CONFIG'];
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError('INFLOW_CONFIG', `cannot read ${file}: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError('INFLOW_CONFIG', `${file} must hold a JSON object`);
    }
    fromFile = parsed as Record<string, unknown>;
  }
  return parseConfig(fromFile, env);
}
