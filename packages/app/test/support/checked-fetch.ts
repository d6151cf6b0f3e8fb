import { privateDocument } from '../../src/openapi/private-document.js';
import { publicDocument } from '../../src/openapi/public-document.js';
import { createAnswerValidator, type AnswerValidator } from './answer-validator.js';

/**
 * Every answer a test receives from an Inflow it started is checked against the OpenAPI
 * documents: startInflow registers its public and private origins, and the test process's
 * fetch is wrapped once to check the answers from those origins. A mismatch fails the call
 * that received it, naming the route and what differs.
 */
const validators: Record<'public' | 'private', AnswerValidator> = {
  public: createAnswerValidator(publicDocument),
  private: createAnswerValidator(privateDocument),
};
const origins = new Map<string, keyof typeof validators>();
let installed = false;

export function checkAnswersFrom(origin: string, api: keyof typeof validators): () => void {
  install();
  origins.set(origin, api);
  return () => origins.delete(origin);
}

function install(): void {
  if (installed) return;
  installed = true;
  const plain = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await plain(input, init);
    const request = new Request(input, init);
    const url = new URL(request.url);
    const api = origins.get(url.origin);
    if (api === undefined) return response;
    const body = request.method === 'HEAD' ? '' : await response.clone().text();
    const problems = validators[api].check({
      method: request.method,
      path: url.pathname,
      status: response.status,
      contentType: response.headers.get('content-type'),
      body,
    });
    if (problems.length > 0) throw new Error(`${request.method} ${url.pathname} → ${response.status} does not match the ${api} API's OpenAPI document:\n  ${problems.join('\n  ')}`);
    return response;
  };
}
