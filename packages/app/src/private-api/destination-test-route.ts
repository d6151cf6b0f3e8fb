import { json, type RouteHandler } from '@inflow/edge';
import { type AttemptOutcome, compileMapping, DEFAULT_MAPPING, hasMissingSecrets, idempotencyKey, isMappingProblem, redactHeaders, redactText, renderMapping, resolveHeaders, secretEnvName, type Secrets, type SendWebhook, sentSecretValues } from '@inflow/workers';
import type { DestinationCatalog } from './destination-catalog.js';
import { notFound } from './definition-routes.js';
import { checkSampleParts, sampleSubject } from './destination-sample.js';
import { invalid, readBody } from './request-input.js';

/**
 * POST /destinations/{id}/test: renders the mapping for a sample event (the body's
 * `{event, profile, session}` parts over a built-in one) and sends ONE real request, with the
 * sample's Idempotency-Key. Answers `{request, outcome}`: secret header values shown as `***`,
 * and any secret value the receiver echoed in its answer too.
 */
export function testDestination(catalog: DestinationCatalog, secrets: Secrets, send: SendWebhook): RouteHandler {
  return async (request, { id = '' }) => {
    const body = readBody(request);
    if (!body.ok) return body.reply;
    const parts = checkSampleParts(body.value);
    if (!parts.ok) return invalid(parts.problem.path, parts.problem.message);
    const destination = await catalog.get(id);
    if (!destination) return notFound('destination', id);
    const resolved = resolveHeaders(destination, secrets);
    if (hasMissingSecrets(resolved)) {
      const [{ header, secret } = { header: '', secret: '' }] = resolved.missing;
      const names = resolved.missing.map((missing) => `"${missing.secret}" (${secretEnvName(missing.secret)})`).join(', ');
      return invalid(`webhook.secretHeaders.${header}`, `secret "${secret}" is not configured; set ${names} where inflow runs`);
    }
    const mapping = compileMapping(destination.mapping ?? DEFAULT_MAPPING);
    if (isMappingProblem(mapping)) return invalid(mapping.path, mapping.message);
    const subject = sampleSubject(destination, parts.parts);
    const key = idempotencyKey(destination.id, destination.revision, subject.event);
    const rendered = renderMapping(mapping, subject);
    const { url, method, timeoutMs } = destination.webhook;
    const outcome = await send({ url, method, headers: resolved.headers, body: rendered, timeoutMs, idempotencyKey: key });
    const sent = sentSecretValues(destination, secrets);
    return json(200, {
      request: {
        method,
        url,
        headers: { 'content-type': 'application/json', ...redactHeaders(resolved.headers, destination), 'idempotency-key': key },
        body: rendered,
      },
      outcome: redactOutcome(outcome, sent),
    });
  };
}

function redactOutcome(outcome: AttemptOutcome, secretValues: string[]): AttemptOutcome {
  if (outcome.kind === 'answer') return outcome.body === undefined ? outcome : { ...outcome, body: redactText(outcome.body, secretValues) };
  if (outcome.kind === 'network') return { ...outcome, message: redactText(outcome.message, secretValues) };
  return outcome;
}
