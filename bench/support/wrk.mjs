import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds } from './processes.mjs';

/** Whether a program is on PATH. */
export function has(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** wrk from Debian's package when it is missing (as root, or through sudo). */
export function ensureWrk(say) {
  if (has('wrk')) return;
  say('wrk not found: installing the Debian package');
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
  for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', 'wrk']]) {
    const command = [...asRoot, ...args];
    say(`$ ${command.join(' ')}`);
    const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) throw new Error(`${command.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
  if (!has('wrk')) throw new Error('wrk is still not on PATH after apt-get install');
}

/**
 * Posts exactly `requests` queued /track requests with wrk (one thread, `connections`
 * connections), each body the value of `luaBody`: a Lua expression of `n`, the request's number
 * from 0, and `now`, the time as ISO-8601 to the second. Resolves with the counts, the p99
 * latency and wrk's CPU seconds once every one was answered. wrk costs the box a fraction of
 * what a Node load generator does (autocannon: about 46 µs of CPU a request here, wrk about 15).
 * Past the last request, wrk's connections ask GET /bench-done (404) every 50 ms until it is
 * stopped; those answers are not counted. A request wrk lost (a socket error) is never answered:
 * after `maxSeconds` (by default an hour) wrk is stopped and this throws, saying so.
 */
export async function postWithWrk({ url, connections, requests, luaBody, say, maxSeconds = 3600 }) {
  ensureWrk(say);
  const dir = mkdtempSync(join(tmpdir(), 'inflow-wrk-'));
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `-- written by bench/support/wrk.mjs
local total = ${requests}
local sent, accepted, refused = 0, 0, 0
local second, now = -1, ""
local done_request
function init()
  -- Built here, not at load: only then do wrk's headers hold the Host (uWS answers no request without one).
  done_request = wrk.format("GET", "/bench-done")
end
local primed = false
function request()
  -- wrk asks its thread for one request it never sends before the connections start (wrk 4.1):
  -- that one is a GET /bench-done, so that every /track request built is sent.
  if not primed then primed = true; return wrk.format("GET", "/bench-done") end
  if sent >= total then return done_request end
  local n = sent
  sent = sent + 1
  local t = os.time()
  if t ~= second then second = t; now = os.date("!%Y-%m-%dT%H:%M:%S.000Z", t) end
  return wrk.format("POST", "/track", { ["Content-Type"] = "text/plain" }, ${luaBody})
end
-- Past the last request, a connection waits 50 ms between GET /bench-done: little load on the
-- edge while the last /track answers come (wrk's latency figures leave the delay out).
function delay()
  if sent >= total then return 50 end
  return 0
end
function response(status, headers, body)
  if status == 404 then return end
  if status >= 200 and status < 300 then accepted = accepted + 1 else refused = refused + 1 end
  if accepted + refused == total then
    io.write(string.format('WRK_ANSWERED {"accepted":%d,"refused":%d}\\n', accepted, refused))
    io.flush()
  end
end
function done(summary, latency)
  io.write(string.format('WRK_DONE {"p99_us":%d,"errors":%d}\\n', latency:percentile(99), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${maxSeconds}s`, '--timeout', '30s', '-s', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let answered;
  let cpu = 0;
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (!answered) {
      const line = /WRK_ANSWERED (\{.*\})/.exec(out);
      if (line) {
        answered = JSON.parse(line[1]);
        cpu = cpuSeconds(child.pid) ?? 0;
        // wrk stops at SIGINT and prints its summary (done()).
        child.kill('SIGINT');
      }
    }
  });
  const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? signal)));
  rmSync(dir, { recursive: true, force: true });
  const summary = /WRK_DONE (\{.*\})/.exec(out);
  if (!answered || !summary) throw new Error(`wrk ended (${code}) before every request was answered (a connection error loses its request; see wrk's errors):\n${out}`);
  const { p99_us: p99Us, errors } = JSON.parse(summary[1]);
  return { accepted: answered.accepted, refused: answered.refused, errors, p99Ms: p99Us / 1000, cpuSeconds: cpu };
}
