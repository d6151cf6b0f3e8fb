import { type ConsumerOptions, type DestinationMeter, errorMessage, type Lifecycle, type Logger, type Queue, sleepUnless, type TopicNames, type TraceSink } from '@inflow/core';
import { DEFAULT_CIRCUIT, type CircuitSettings } from './circuit-breaker.js';
import type { ActiveDestination, DestinationDirectory } from './destination-directory.js';
import { DestinationLane, type LaneCounts } from './destination-lane.js';
import type { Secrets } from './secrets.js';
import { sendWebhook, type SendWebhook } from './webhook-sender.js';

export interface DispatcherOptions {
  queue: Queue;
  topics: TopicNames;
  directory: DestinationDirectory;
  secrets: Secrets;
  consumer: Omit<ConsumerOptions, 'subscription'>;
  batchSize: number;
  waitMs: number;
  /** How often the set of destinations is looked at (new ones get a lane, deleted ones lose theirs). */
  refreshMs: number;
  send?: SendWebhook;
  circuit?: CircuitSettings;
  logger: Logger;
  /** Each destination's counters. */
  meters?: ((destinationId: string) => DestinationMeter) | undefined;
  trace?: TraceSink | undefined;
}

export interface Dispatcher extends Lifecycle {
  /** What each destination's lane did since this process started. */
  counts(): Record<string, LaneCounts & { circuit: string }>;
}

/**
 * The dispatch role: one lane per destination, each consuming that destination's own topic,
 * so a slow or failing receiver holds up nothing but itself. Lanes follow the definitions:
 * a new destination gets one within `refreshMs`, a deleted one loses it (its queue is kept).
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { logger } = options;
  const lanes = new Map<string, DestinationLane>();
  const latest = new Map<string, ActiveDestination>();
  const stop = new AbortController();
  let supervising: Promise<void> | undefined;

  async function openLane(destination: ActiveDestination): Promise<void> {
    const id = destination.record.id;
    const topic = options.topics.destination(id);
    await options.queue.ensureTopic(topic, options.topics.subscriptions.dispatch);
    const lane = new DestinationLane({
      consumer: options.queue.consumer(topic, { ...options.consumer, subscription: options.topics.subscriptions.dispatch }),
      current: () => latest.get(id),
      send: options.send ?? sendWebhook,
      secrets: options.secrets,
      batchSize: options.batchSize,
      waitMs: options.waitMs,
      circuit: options.circuit ?? DEFAULT_CIRCUIT,
      logger: logger.child(`dispatch:${id}`),
      meter: options.meters?.(id),
      trace: options.trace,
    });
    lanes.set(id, lane);
    lane.start();
    logger.info(`dispatching to ${id}`, { url: destination.record.webhook.url, paused: destination.record.paused });
  }

  async function follow(): Promise<void> {
    const destinations = await options.directory.all();
    latest.clear();
    for (const destination of destinations) latest.set(destination.record.id, destination);
    for (const [id, lane] of lanes) {
      if (latest.has(id)) continue;
      lanes.delete(id);
      await lane.close();
      logger.info(`destination ${id} is gone: its lane is closed`);
    }
    for (const destination of destinations) {
      if (lanes.has(destination.record.id)) continue;
      try {
        await openLane(destination);
      } catch (error) {
        logger.warn(`cannot open the lane of ${destination.record.id} yet: ${errorMessage(error)}`);
      }
    }
  }

  async function supervise(): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        await follow();
      } catch (error) {
        logger.warn(`destinations not followed this round: ${errorMessage(error)}`);
      }
      await sleepUnless(options.refreshMs, stop.signal);
    }
  }

  return {
    async start() {
      // Destinations that cannot be read yet (the store is away) are left to the loop, which asks again at once (and warns) and then every refreshMs.
      await follow().catch(() => undefined);
      supervising = supervise();
    },
    async close() {
      stop.abort();
      await supervising;
      await Promise.all([...lanes.values()].map((lane) => lane.close()));
      lanes.clear();
    },
    counts() {
      return Object.fromEntries([...lanes].map(([id, lane]) => [id, { ...lane.counts, circuit: lane.circuit }]));
    },
  };
}
