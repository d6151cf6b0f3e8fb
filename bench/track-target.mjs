// One benchmark target: the /track handler with the embedded queue behind it, served either
// by uWebSockets.js (the edge) or by Node's http module (the baseline). Everything but the
// transport is the same code. Prints "listening <port>" when ready.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrackHandler, listenNodeHttp, listenUws, loadUws, SourceRegistry } from '@inflow/edge';
import { createLogger, RequestBatcher, topicNames } from '@inflow/core';
import { CachedProfileState, Collector, SqliteQueue, SqliteStore } from '@inflow/workers';

const transport = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), `inflow-bench-${transport}-`));
const logger = createLogger({ level: 'warn', format: 'text' });
const topics = topicNames('inflow', { collector: 'collector', dispatch: 'dispatch', workflow: 'workflow' });
const queue = new SqliteQueue({ file: join(dir, 'queue.db'), tenant: 'inflow', maxBacklog: 10_000_000, topics: [topics.collector] });
const store = new SqliteStore(join(dir, 'store.db'));
const sources = new SourceRegistry(store, 5000);
await sources.ensure('bench', { name: 'Benchmark' });

const handler = createTrackHandler({
  sources,
  limits: { maxEvents: 100, maxEventBytes: 65_536 },
  queueTimeoutMs: 5000,
  collectorQueue: new RequestBatcher({
    producer: queue.producer(topics.collector),
    lanes: 16,
    maxBatchBytes: 131_072,
    lingerMs: 2,
    maxInFlightPerLane: 4,
    maxPendingBytes: 64_000_000,
  }),
  collector: new Collector({ state: new CachedProfileState(store, 100_000), store, logger }),
  logger,
});
const options = { host: '127.0.0.1', port: 0, handler, maxBodyBytes: 1_000_000, requestTimeoutMs: 7_000 };
const server = transport === 'uws' ? await listenUws(loadUws(false).uws, options, logger) : await listenNodeHttp(options, logger);
process.stdout.write(`listening ${server.port}\n`);
process.on('SIGTERM', async () => {
  server.stopListening();
  const backlog = await queue.backlog(topics.collector);
  process.stdout.write(`queued ${backlog?.total ?? 0}\n`);
  await queue.close();
  await store.close();
  process.exit(0);
});
