import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, envName } from '../src/config/config.js';

const chart = fileURLToPath(new URL('../../../deploy/helm/inflow/', import.meta.url));
const schema = JSON.parse(readFileSync(`${chart}values.schema.json`, 'utf8')) as { properties: { settings: { properties: Record<string, unknown> } } };
const templates = readdirSync(`${chart}templates`).map((name) => readFileSync(`${chart}templates/${name}`, 'utf8')).join('\n');

/** Settings the chart does not take under `settings`, and why. */
const NOT_IN_SETTINGS: Record<string, string> = {
  traceMaxEntries: 'the embedded engine only (in-memory trace)',
  secrets: 'INFLOW_SECRET_<NAME> from destinationSecrets.existingSecret',
};

describe('the Helm chart and the settings it can pass', () => {
  it('takes every setting the app knows, either under `settings` (checked by values.schema.json) or set by its templates', () => {
    const inSettings = Object.keys(schema.properties.settings.properties);
    // A key the schema allows must be one the app reads: a typo would pass the schema and do nothing.
    expect(inSettings.filter((key) => !(CONFIG_KEYS as string[]).includes(key))).toEqual([]);
    const missing = CONFIG_KEYS.filter((key) => !inSettings.includes(key) && !templates.includes(envName(key)) && !(key in NOT_IN_SETTINGS));
    expect(missing, 'add them to values.schema.json settings, or set them in a template').toEqual([]);
  });
});
