// Downloads a file once into the cache, showing progress; later runs reuse it.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { say } from './log.mjs';

export async function fetchCached(url, file) {
  if (existsSync(file)) {
    say(`cached: ${file}`);
    return file;
  }
  mkdirSync(dirname(file), { recursive: true });
  say(`downloading ${url}`);
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`download failed: ${response.status} ${url}`);
  const total = Number(response.headers.get('content-length') ?? 0);
  let received = 0;
  let shown = -10;
  const progress = new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      const percent = total ? Math.floor((received / total) * 100) : 0;
      if (percent >= shown + 10) {
        shown = percent - (percent % 10);
        say(`  ${percent}% of ${(total / 1e6).toFixed(0)} MB`);
      }
      controller.enqueue(chunk);
    },
  });
  const part = `${file}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body.pipeThrough(progress)), createWriteStream(part));
  } catch (error) {
    rmSync(part, { force: true });
    throw error;
  }
  renameSync(part, file);
  return file;
}
