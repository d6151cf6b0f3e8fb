import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const TOKEN = 'process-test-token-123';

export interface InflowProcess {
  child: ChildProcess;
  output(): string;
  publicUrl: string;
  privateUrl: string;
  api(path: string): Promise<Response>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Runs the built `inflow <command>` (run, edge, collector) and waits (60 s by default) until it says it started. */
export async function spawnInflow(dataDir: string, env: Record<string, string> = {}, command = 'run', startMs = 60_000): Promise<InflowProcess> {
  const child = spawn(process.execPath, [CLI, command], {
    env: {
      ...process.env,
      INFLOW_DATA_DIR: dataDir,
      INFLOW_PUBLIC_PORT: '0',
      INFLOW_PRIVATE_PORT: '0',
      INFLOW_API_TOKEN: TOKEN,
      INFLOW_WORKER_WAIT_MS: '20',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const started = await Promise.race([
    waitFor(() => /inflow started/.test(text), startMs).then(
      () => true,
      (error: unknown) => {
        child.kill('SIGKILL');
        throw new Error(`inflow ${command} did not start within ${startMs} ms (${String(error)}); it said:\n${text.slice(-4000)}`);
      },
    ),
    exited.then(() => false),
  ]);
  if (!started) throw new Error(`inflow did not start:\n${text}`);
  const publicUrl = /public edge listening on (http:\/\/\S+)/.exec(text)?.[1] ?? '';
  const privateUrl = /private API listening on (http:\/\/\S+)/.exec(text)?.[1] ?? '';
  return {
    child,
    output: () => text,
    publicUrl,
    privateUrl,
    api: (path) => fetch(privateUrl + path, { headers: { authorization: `Bearer ${TOKEN}` } }),
    exited,
  };
}

/** Runs the CLI to completion (for commands that must refuse to start). */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
