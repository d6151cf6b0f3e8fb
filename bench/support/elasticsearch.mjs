import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { listeningPids } from './processes.mjs';

const STACK = fileURLToPath(new URL('../../scripts/stack.mjs', import.meta.url));

/**
 * The stack's Elasticsearch, started when it is not running (scripts/stack.mjs up elasticsearch):
 * its pid (for its CPU in /proc) and a JSON call that throws on an error answer.
 */
export function stackElasticsearch() {
  execFileSync(process.execPath, [STACK, 'up', 'elasticsearch'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const env = Object.fromEntries(execFileSync(process.execPath, [STACK, 'env']).toString().trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  const url = env.INFLOW_ELASTICSEARCH_URL;
  const [pid] = listeningPids([Number(new URL(url).port)]);
  if (!pid) throw new Error(`no process listens on ${url}`);
  const es = async (method, path, body, type = 'application/json') => {
    const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': type }, body });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  };
  return { url, pid, es };
}
