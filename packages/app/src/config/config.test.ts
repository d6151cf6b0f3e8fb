import { describe, expect, it } from 'vitest';
import { ConfigError } from '@inflow/core';
import { MOST_EVENTS_PER_REQUEST, RECENT_EVENTS_KEPT } from '@inflow/workers';
import { collectorRound, inFlightPerLane } from '../app.js';
import { envName, parseConfig } from './config.js';

describe('parseConfig', () => {
  it('states every default in one place', () => {
    const config = parseConfig({}, {});
    expect(config).toMatchObject({
      engine: 'embedded',
      publicPort: 8686,
      privatePort: 8687,
      maxBodyBytes: 1_000_000,
      maxEvents: 100,
      serveDemo: true,
      logLevel: 'info',
    });
    expect(config.apiToken).toBeUndefined();
  });

  it('sends two batches per lane at once on Pulsar and one on the embedded queue, unless told', () => {
    expect(inFlightPerLane(parseConfig({}, {}))).toBe(1);
    expect(inFlightPerLane(parseConfig({}, { INFLOW_ENGINE: 'distributed' }))).toBe(4);
    expect(inFlightPerLane(parseConfig({}, { INFLOW_ENGINE: 'distributed', INFLOW_QUEUE_IN_FLIGHT_PER_LANE: '1' }))).toBe(1);
    expect(inFlightPerLane(parseConfig({}, { INFLOW_QUEUE_IN_FLIGHT_PER_LANE: '3' }))).toBe(3);
    expect(() => parseConfig({}, { INFLOW_QUEUE_IN_FLIGHT_PER_LANE: '65' })).toThrow(ConfigError);
  });

  it('gives the collector large rounds on Pulsar and small ones in the embedded engine, unless told', () => {
    expect(collectorRound(parseConfig({}, {}))).toEqual({ batchSize: 100, batchBytes: Infinity, maxRequestsPerWrite: 2_000 });
    expect(collectorRound(parseConfig({}, { INFLOW_ENGINE: 'distributed' }))).toEqual({ batchSize: 1_000, batchBytes: 4_194_304, maxRequestsPerWrite: 10_000 });
    const set = { INFLOW_COLLECTOR_BATCH_SIZE: '50', INFLOW_COLLECTOR_BATCH_BYTES: '65536', INFLOW_COLLECTOR_MAX_REQUESTS_PER_WRITE: '500' };
    expect(collectorRound(parseConfig({}, { ...set, INFLOW_ENGINE: 'distributed' }))).toEqual({ batchSize: 50, batchBytes: 65_536, maxRequestsPerWrite: 500 });
    expect(collectorRound(parseConfig({}, set))).toEqual({ batchSize: 50, batchBytes: 65_536, maxRequestsPerWrite: 500 });
    expect(() => parseConfig({}, { INFLOW_COLLECTOR_BATCH_BYTES: '-1' })).toThrow(ConfigError);
  });

  it('reads the file, and the environment wins over it, with types coerced', () => {
    const config = parseConfig(
      { publicPort: 9000, maxEvents: 5, logFormat: 'json' },
      { INFLOW_PUBLIC_PORT: '9100', INFLOW_SERVE_DEMO: 'false', INFLOW_ALLOW_UWS_FALLBACK: '1' },
    );
    expect(config).toMatchObject({ publicPort: 9100, maxEvents: 5, logFormat: 'json', serveDemo: false, allowUwsFallback: true });
  });

  it.each([
    [{}, { INFLOW_PUBLIC_PORT: 'eighty' }, 'INFLOW_PUBLIC_PORT'],
    [{}, { INFLOW_PUBLIC_PORT: '70000' }, 'INFLOW_PUBLIC_PORT'],
    [{}, { INFLOW_ENGINE: 'cloud' }, 'INFLOW_ENGINE'],
    [{}, { INFLOW_SERVE_DEMO: 'maybe' }, 'INFLOW_SERVE_DEMO'],
    [{}, { INFLOW_API_TOKEN: 'short' }, 'INFLOW_API_TOKEN'],
    [{ maxEvents: 0 }, {}, 'maxEvents (config file)'],
    [{ maxBodyBites: 10 }, {}, 'maxBodyBites'],
  ])('names the bad key: %j %j', (file, env, key) => {
    expect(() => parseConfig(file, env)).toThrow(ConfigError);
    expect(() => parseConfig(file, env)).toThrow(`config ${key}:`);
  });

  it('takes at most as many events a request as a redelivery can be recognised with, and says why', () => {
    expect(parseConfig({}, { INFLOW_MAX_EVENTS: String(MOST_EVENTS_PER_REQUEST) }).maxEvents).toBe(MOST_EVENTS_PER_REQUEST);
    expect(MOST_EVENTS_PER_REQUEST * 2).toBe(RECENT_EVENTS_KEPT);
    expect(() => parseConfig({}, { INFLOW_MAX_EVENTS: String(MOST_EVENTS_PER_REQUEST + 1) })).toThrow(
      `config INFLOW_MAX_EVENTS: at most ${MOST_EVENTS_PER_REQUEST} (got ${MOST_EVENTS_PER_REQUEST + 1}): a profile and a session remember the last ${RECENT_EVENTS_KEPT} events`,
    );
    expect(() => parseConfig({ maxEvents: 1000 }, {})).toThrow('config maxEvents (config file): at most');
  });

  it('talks to Pulsar in its binary protocol by default, or over its WebSocket API when told; a binary address must be pulsar:// or pulsar+ssl://', () => {
    const defaults = parseConfig({}, {});
    expect(defaults.pulsarTransport).toBe('binary');
    // No address: the cluster's metadata gives it (PulsarAdmin.brokerServiceUrl).
    expect(defaults.pulsarServiceUrl).toBeUndefined();
    expect(parseConfig({}, { INFLOW_PULSAR_SERVICE_URL: 'pulsar://proxy:16650', INFLOW_PULSAR_TRANSPORT: 'websocket' })).toMatchObject({ pulsarTransport: 'websocket', pulsarServiceUrl: 'pulsar://proxy:16650' });
    expect(() => parseConfig({}, { INFLOW_PULSAR_SERVICE_URL: 'http://proxy:6650' })).toThrow('config INFLOW_PULSAR_SERVICE_URL:');
    expect(parseConfig({}, { INFLOW_PULSAR_SERVICE_URL: 'pulsar+ssl://proxy:6651' }).pulsarServiceUrl).toBe('pulsar+ssl://proxy:6651');
    expect(() => parseConfig({}, { INFLOW_PULSAR_SERVICE_URL: 'pulsar+tls://proxy:6651' })).toThrow('config INFLOW_PULSAR_SERVICE_URL:');
    // One address: a list of brokers is for clients that pick among them, this one looks topics up through one.
    expect(() => parseConfig({}, { INFLOW_PULSAR_SERVICE_URL: 'pulsar://b1:6650,b2:6650' })).toThrow('config INFLOW_PULSAR_SERVICE_URL:');
    expect(() => parseConfig({}, { INFLOW_PULSAR_TRANSPORT: 'grpc' })).toThrow('config INFLOW_PULSAR_TRANSPORT:');
  });

  it('takes auto or an Elasticsearch time value as the refresh interval, and names anything else', () => {
    expect(parseConfig({}, {}).refreshInterval).toBe('auto');
    for (const value of ['1s', '30s', '500ms', '-1', '2m']) expect(parseConfig({}, { INFLOW_REFRESH_INTERVAL: value }).refreshInterval).toBe(value);
    for (const value of ['bogus', '1', '1 s', '5x', 'auto ']) expect(() => parseConfig({}, { INFLOW_REFRESH_INTERVAL: value }), value).toThrow('config INFLOW_REFRESH_INTERVAL:');
  });

  it('takes a Pulsar token or a file holding it, not both, and never shows the token in an error', () => {
    expect(parseConfig({}, { INFLOW_PULSAR_TOKEN: 'eyJh.eyJz.sig' })).toMatchObject({ pulsarToken: 'eyJh.eyJz.sig' });
    expect(parseConfig({ pulsarTokenFile: '/var/run/secrets/pulsar/token' }, {}).pulsarTokenFile).toBe('/var/run/secrets/pulsar/token');
    expect(() => parseConfig({}, { INFLOW_PULSAR_TOKEN: 'a.b.c', INFLOW_PULSAR_TOKEN_FILE: '/t' })).toThrow('not both');
    const refused = ((): unknown => {
      try {
        return parseConfig({}, { INFLOW_PULSAR_TOKEN: 'secret-part with-space' });
      } catch (error) {
        return error;
      }
    })();
    expect(String(refused)).toContain('config INFLOW_PULSAR_TOKEN:');
    expect(String(refused)).not.toContain('secret-part');
  });

  it('reads secrets from INFLOW_SECRET_<NAME> and the file, by key, and never shows a value in an error', () => {
    const config = parseConfig({ secrets: { 'crm-token': 'from-file', other: 'kept' } }, { INFLOW_SECRET_CRM_TOKEN: 'from-env', INFLOW_SECRET_EMPTY: '' });
    expect(config.secrets).toEqual({ CRM_TOKEN: 'from-env', OTHER: 'kept' });
    expect(parseConfig({}, {}).secrets).toEqual({});
    for (const [file, env, key] of [
      [{}, { INFLOW_SECRET_BAD: 'line\nbreak-value' }, 'INFLOW_SECRET_BAD'],
      [{ secrets: { 'bad name': 'hidden-value' } }, {}, 'secrets.bad name (config file)'],
      [{ secrets: 'hidden-value' }, {}, 'secrets (config file)'],
      [{}, { INFLOW_SECRETS: 'hidden-value' }, 'INFLOW_SECRETS'],
    ] as const) {
      expect(() => parseConfig(file, env)).toThrow(`config ${key}:`);
      expect(() => parseConfig(file, env)).not.toThrow(/hidden-value|break-value/);
    }
  });

  it('maps keys to environment names', () => {
    expect(envName('maxBodyBytes')).toBe('INFLOW_MAX_BODY_BYTES');
    expect(envName('publicPort')).toBe('INFLOW_PUBLIC_PORT');
  });
});
