import type { DestinationSpec } from './destination.js';

/**
 * Secret values by key, read from configuration once (never from the API). A destination names
 * a secret (`webhook.secretHeaders: { header: name }`); the key of a name is its environment
 * variable's suffix: `crm-token` → `CRM_TOKEN`, set as `INFLOW_SECRET_CRM_TOKEN`.
 */
export type Secrets = Readonly<Record<string, string>>;

export const SECRET_ENV_PREFIX = 'INFLOW_SECRET_';

/** What a secret's name is looked up by: upper-cased, `-` as `_`. */
export function secretKey(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** The environment variable that sets the named secret. */
export function secretEnvName(name: string): string {
  return SECRET_ENV_PREFIX + secretKey(name);
}

/** Shown instead of a secret's value wherever a request is shown. */
export const REDACTED = '***';

type WebhookHeaders = Pick<DestinationSpec['webhook'], 'headers' | 'secretHeaders'>;

export interface MissingSecret {
  /** The header that needs it. */
  header: string;
  /** The secret's name as the destination writes it. */
  secret: string;
}

/** The headers a destination sends, secrets filled in; or every secret it names that is not configured. */
export function resolveHeaders(
  spec: { webhook: WebhookHeaders },
  secrets: Secrets,
): { headers: Record<string, string> } | { missing: MissingSecret[] } {
  const secretNames = new Set(Object.keys(spec.webhook.secretHeaders).map((header) => header.toLowerCase()));
  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(spec.webhook.headers)) {
    if (!secretNames.has(header.toLowerCase())) headers[header] = value;
  }
  const missing: MissingSecret[] = [];
  for (const [header, secret] of Object.entries(spec.webhook.secretHeaders)) {
    const value = Object.prototype.hasOwnProperty.call(secrets, secretKey(secret)) ? secrets[secretKey(secret)] : undefined;
    if (value === undefined) missing.push({ header, secret });
    else headers[header] = value;
  }
  return missing.length > 0 ? { missing } : { headers };
}

export function hasMissingSecrets(resolved: { headers: Record<string, string> } | { missing: MissingSecret[] }): resolved is { missing: MissingSecret[] } {
  return 'missing' in resolved;
}

/** The secrets a destination names that are not configured (empty when it can be sent). */
export function missingSecrets(spec: { webhook: WebhookHeaders }, secrets: Secrets): MissingSecret[] {
  const resolved = resolveHeaders(spec, secrets);
  return hasMissingSecrets(resolved) ? resolved.missing : [];
}

/** A copy of `headers` with the value of every header the destination fills from a secret shown as `***`. */
export function redactHeaders(headers: Readonly<Record<string, string>>, spec: { webhook: WebhookHeaders }): Record<string, string> {
  const secretNames = new Set(Object.keys(spec.webhook.secretHeaders).map((header) => header.toLowerCase()));
  return Object.fromEntries(Object.entries(headers).map(([header, value]) => [header, secretNames.has(header.toLowerCase()) ? REDACTED : value]));
}

/** The values of the secrets a destination sends (those configured). */
export function sentSecretValues(spec: { webhook: WebhookHeaders }, secrets: Secrets): string[] {
  return Object.values(spec.webhook.secretHeaders).flatMap((name) =>
    Object.prototype.hasOwnProperty.call(secrets, secretKey(name)) ? [secrets[secretKey(name)] as string] : [],
  );
}

/**
 * `text` with every occurrence of the given secret values replaced by `***`: for what a receiver
 * answered, which may echo a header back.
 */
export function redactText(text: string, values: Iterable<string>): string {
  let redacted = text;
  for (const value of [...values].filter((v) => v.length > 0).sort((a, b) => b.length - a.length)) {
    redacted = redacted.split(value).join(REDACTED);
  }
  return redacted;
}
