import { join } from 'node:path';
import { createLogger, type Queue } from '@inflow/core';
import { SqliteQueue } from '@inflow/workers';
import { PulsarQueue, PulsarToken } from '@inflow/workers/distributed';
import type { EngineName } from './start-inflow.js';

/** A second handle on a running engine's queue, as another process would have (to put in what the edge never would). */
export function outsideQueue(engine: EngineName, dataDir: string, env: Record<string, string>): Queue {
  // A backlog bound far above what tests leave waiting: the messages put in must never be refused.
  if (engine === 'embedded') return new SqliteQueue({ file: join(dataDir, 'queue.db'), tenant: 'inflow', maxBacklog: 100_000, topics: [] });
  return new PulsarQueue({
    webServiceUrl: env['INFLOW_PULSAR_URL'] ?? '',
    tenant: env['INFLOW_TENANT'] ?? '',
    topics: [],
    partitions: 2,
    producerConnections: 1,
    sendTimeoutMs: 5000,
    receiverQueueSize: 10,
    auth: PulsarToken.from({ token: env['INFLOW_PULSAR_TOKEN'] || undefined }),
    logger: createLogger({ level: 'warn', format: 'text' }),
  });
}
