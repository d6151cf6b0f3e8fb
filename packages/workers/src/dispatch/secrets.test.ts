import { describe, expect, it } from 'vitest';
import { hasMissingSecrets, missingSecrets, redactHeaders, redactText, resolveHeaders, secretEnvName, secretKey, sentSecretValues } from './secrets.js';

const webhook = (headers: Record<string, string>, secretHeaders: Record<string, string>) => ({ webhook: { headers, secretHeaders } });

describe('destination secrets', () => {
  it('looks a name up by its environment variable suffix', () => {
    expect(secretKey('crm-token')).toBe('CRM_TOKEN');
    expect(secretKey('crm_token')).toBe('CRM_TOKEN');
    expect(secretEnvName('crm-token')).toBe('INFLOW_SECRET_CRM_TOKEN');
  });

  it('fills secret headers in, over a plain header of the same name in any case', () => {
    const spec = webhook({ 'x-team': 'growth', Authorization: 'plain' }, { authorization: 'crm-token' });
    expect(resolveHeaders(spec, { CRM_TOKEN: 'Bearer s3cret' })).toEqual({ headers: { 'x-team': 'growth', authorization: 'Bearer s3cret' } });
  });

  it('names every secret that is not configured, and never reads inherited keys', () => {
    const spec = webhook({}, { authorization: 'crm-token', 'x-sig': 'constructor' });
    const resolved = resolveHeaders(spec, {});
    expect(hasMissingSecrets(resolved)).toBe(true);
    expect(resolved).toEqual({ missing: [{ header: 'authorization', secret: 'crm-token' }, { header: 'x-sig', secret: 'constructor' }] });
    expect(missingSecrets(spec, { CRM_TOKEN: 't', CONSTRUCTOR: 'c' })).toEqual([]);
  });

  it('redacts secret headers by name and secret values in text', () => {
    const spec = webhook({ 'x-team': 'growth' }, { Authorization: 'crm-token' });
    expect(redactHeaders({ 'x-team': 'growth', authorization: 'Bearer s3cret' }, spec)).toEqual({ 'x-team': 'growth', authorization: '***' });
    expect(sentSecretValues(spec, { CRM_TOKEN: 'Bearer s3cret', OTHER: 'x' })).toEqual(['Bearer s3cret']);
    expect(redactText('echo: Bearer s3cret, s3cret', ['s3cret', 'Bearer s3cret', ''])).toBe('echo: ***, ***');
  });
});
