import { ClientGoneError, QueueUnavailableError } from '../errors.js';
import type { QueueProducer } from '../ports/queue.js';
import { encodeEnvelopeBatch } from '../envelope/envelope-batch.js';
import { bucketOf } from '../util/bucket-of.js';
import { laneKeys } from '../util/murmur3.js';
import type { PublishMeter } from '../telemetry/meters.js';

export interface RequestBatcherOptions {
  producer: QueueProducer;
  /**
   * Ordered lanes. A request goes to lane hash(profile id) mod lanes; each lane's batches are
   * published in order under the lane's key, so one profile's requests keep their order.
   */
  lanes: number;
  /** A lane's batch is published once it holds this many bytes… */
  maxBatchBytes: number;
  /**
   * …or once its first request has waited this long (0: at the end of the current tick).
   * While a lane's batches are all in flight, what arrives waits in the lane and goes as soon
   * as the broker confirms one.
   */
  lingerMs: number;
  /** Batches of one lane on their way to the broker at once; more wait in the lane. */
  maxInFlightPerLane: number;
  /** Bytes accepted but not yet confirmed, over all lanes, beyond which requests are refused (503). */
  maxPendingBytes: number;
  /**
   * Most events of one profile in one batch (a request larger than that travels alone): the
   * collector must be able to recognise a whole redelivered message by the events it remembers.
   */
  maxEventsPerProfile?: number;
  /** Counts each published batch (requests, bytes, time to confirmation). */
  meter?: PublishMeter | undefined;
}

/** Who sent a request: `aborted` once the client went away before its answer (its connection closed). */
export interface RequestClient {
  readonly aborted?: boolean | undefined;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  /** Past this time (ms since epoch) a request not yet handed to the broker is dropped with 503. */
  deadline: number;
  bytes: number;
  client: RequestClient | undefined;
}

interface Lane {
  key: string;
  parts: Uint8Array[];
  waiters: Waiter[];
  bytes: number;
  timer: NodeJS.Timeout | undefined;
  /** A cut is scheduled for the end of this tick. */
  soon: boolean;
  inFlight: number;
  /** Events per profile in the open batch. */
  profileEvents: Map<string, number>;
  /** Full batches waiting for a free in-flight slot, oldest first. */
  ready: Array<{ parts: Uint8Array[]; waiters: Waiter[]; bytes: number }>;
}

/**
 * Puts many queued requests into one queue message. Each `append` resolves when the broker
 * has confirmed the batch that holds it, and rejects with QueueUnavailableError when the
 * batch failed or too much is already waiting: the caller answers 201 or 503 accordingly.
 */
export class RequestBatcher {
  private readonly lanes: Lane[];
  private pendingBytes = 0;
  private closed = false;

  constructor(private readonly options: RequestBatcherOptions) {
    const keys = laneKeys(options.lanes);
    this.lanes = keys.map((key) => ({
      key,
      parts: [],
      waiters: [],
      bytes: 0,
      timer: undefined,
      soon: false,
      profileEvents: new Map(),
      inFlight: 0,
      ready: [],
    }));
  }

  /** Bytes accepted and not yet confirmed by the broker. */
  get pending(): number {
    return this.pendingBytes;
  }

  /** The lane a key's requests go in (trace entries name it). */
  laneOf(key: string): number {
    return bucketOf(key, this.lanes.length);
  }

  /**
   * Resolves once the broker confirmed the batch holding `envelope`. A request still waiting in
   * its lane at `deadline` is taken out and refused (503): it is never published later, so a
   * refused request is never stored. So is one whose `client` went away meanwhile (it timed out,
   * or its connection was closed): it never got an answer, its sender will send it again, and
   * storing it too would store it twice when the events carry no ids of the sender's. Once
   * handed to the broker, the broker's answer decides.
   */
  append(profileId: string, envelope: Uint8Array, deadline = Infinity, events = 1, client?: RequestClient): Promise<void> {
    if (this.closed) return Promise.reject(new QueueUnavailableError('the edge is shutting down', 1));
    const size = envelope.byteLength + 1;
    if (this.pendingBytes + size > this.options.maxPendingBytes) {
      return Promise.reject(new QueueUnavailableError(`queue backlog bound reached (${this.pendingBytes} bytes waiting for the broker)`, 1));
    }
    const lane = this.lanes[bucketOf(profileId, this.lanes.length)] as Lane; // one profile, one lane
    return new Promise((resolve, reject) => {
      // A batch never grows past maxBatchBytes, nor past maxEventsPerProfile events of one profile;
      // a request larger than that alone joins the open batch when it holds nothing of its profile.
      const tooBig = lane.bytes + size > this.options.maxBatchBytes;
      const already = lane.profileEvents.get(profileId) ?? 0;
      const tooMany = already > 0 && already + events > (this.options.maxEventsPerProfile ?? Infinity);
      if (lane.parts.length > 0 && (tooBig || tooMany)) this.cut(lane);
      lane.profileEvents.set(profileId, (lane.profileEvents.get(profileId) ?? 0) + events);
      lane.parts.push(envelope);
      lane.waiters.push({ resolve, reject, deadline, bytes: size, client });
      lane.bytes += size;
      this.pendingBytes += size;
      if (lane.bytes >= this.options.maxBatchBytes) this.cut(lane);
      else if (this.hasRoom(lane)) this.schedule(lane);
      // Otherwise the lane is busy: the batch grows until a batch in flight is confirmed.
    });
  }

  /** Publishes whatever waits and resolves once every batch is confirmed or failed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes) this.cut(lane);
    while (this.pendingBytes > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private hasRoom(lane: Lane): boolean {
    return lane.inFlight < this.options.maxInFlightPerLane && lane.ready.length === 0;
  }

  /** The open batch goes after the linger, or at the end of this tick when there is none. */
  private schedule(lane: Lane): void {
    if (lane.timer || lane.soon) return;
    const go = (): void => {
      lane.timer = undefined;
      lane.soon = false;
      if (this.hasRoom(lane)) this.cut(lane);
    };
    if (this.options.lingerMs > 0) lane.timer = setTimeout(go, this.options.lingerMs);
    else {
      lane.soon = true;
      setImmediate(go);
    }
  }

  /** Closes the lane's open batch and publishes it as soon as the lane has room. */
  private cut(lane: Lane): void {
    clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.parts.length === 0) return;
    lane.ready.push({ parts: lane.parts, waiters: lane.waiters, bytes: lane.bytes });
    lane.parts = [];
    lane.waiters = [];
    lane.bytes = 0;
    lane.profileEvents = new Map();
    this.publishReady(lane);
  }

  private publishReady(lane: Lane): void {
    while (lane.inFlight < this.options.maxInFlightPerLane && lane.ready.length > 0) {
      const batch = dropExpired(lane.ready.shift() as Lane['ready'][number], (bytes) => (this.pendingBytes -= bytes));
      if (batch.parts.length === 0) continue;
      lane.inFlight += 1;
      const data = encodeEnvelopeBatch(batch.parts);
      const { meter } = this.options;
      const started = meter ? performance.now() : 0;
      const settle = (error?: Error): void => {
        if (error) meter?.failed();
        else meter?.published(batch.parts.length, data.byteLength, (performance.now() - started) / 1000);
        lane.inFlight -= 1;
        this.pendingBytes -= batch.bytes;
        for (const waiter of batch.waiters) {
          if (error) waiter.reject(error);
          else waiter.resolve();
        }
        this.publishReady(lane);
        // The broker took a batch: what gathered meanwhile goes now.
        if (this.hasRoom(lane) && lane.parts.length > 0) this.cut(lane);
      };
      this.options.producer.send([{ key: lane.key, data }]).then(
        () => settle(),
        (error: unknown) => settle(error instanceof Error ? error : new QueueUnavailableError(String(error), 1)),
      );
    }
  }
}

type Batch = Lane['ready'][number];

/** Whether a request may still go: its deadline not passed, its client still waiting for the answer. */
const wanted = (waiter: Waiter, now: number): boolean => waiter.deadline > now && waiter.client?.aborted !== true;

/** Takes out the requests whose deadline passed or whose client went away while they waited in the lane, refusing them. */
function dropExpired(batch: Batch, release: (bytes: number) => void): Batch {
  const now = Date.now();
  if (batch.waiters.every((waiter) => wanted(waiter, now))) return batch;
  const kept: Batch = { parts: [], waiters: [], bytes: 0 };
  batch.waiters.forEach((waiter, i) => {
    if (wanted(waiter, now)) {
      kept.parts.push(batch.parts[i] as Uint8Array);
      kept.waiters.push(waiter);
      kept.bytes += waiter.bytes;
      return;
    }
    release(waiter.bytes);
    waiter.reject(waiter.deadline > now ? new ClientGoneError() : new QueueUnavailableError('the queue did not take the request in time', 1));
  });
  return kept;
}
