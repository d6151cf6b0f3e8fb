import { type Logger, QueueUnavailableError } from '@inflow/core';
import type { PulsarToken } from '../pulsar-auth.js';
import { keepTrying } from '../waits.js';
import { BrokerConnection } from './broker-connection.js';
import { Command, serverError } from './commands.js';

/** Redirects a lookup may follow before it gives up (brokers handing a topic to one another). */
const MAX_REDIRECTS = 8;
const LOOKUP_REDIRECT = 0;
const LOOKUP_CONNECT = 1;
/** How often producers and consumers ask whether their topic got more partitions (as Pulsar's own clients do, every minute). */
const PARTITION_CHECK_MS = 60_000;

/**
 * Connections to the brokers of one Pulsar cluster, reached from its service URL
 * (pulsar://host:port, a broker or a proxy): one connection per broker, shared by every
 * producer and consumer on it. Lookups follow the cluster's redirects to the broker that owns
 * a topic, or go through the service URL when the cluster says so (a Pulsar proxy).
 */
export class BinaryClient {
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  /** The service URL once found by `service` (asked again after a failure). */
  private serviceUrl: Promise<string> | null = null;
  private nextId = 1;
  private closed = false;

  constructor(
    /** pulsar://host:port of a broker or proxy, or how to find it (asked the first time it is needed). */
    private readonly service: string | (() => Promise<string>),
    /** How often producers and consumers of this client ask whether their topic got more partitions. */
    readonly partitionCheckMs = PARTITION_CHECK_MS,
    /** Pulsar's token authentication, when the cluster requires it: every connection's handshake carries it. */
    private readonly auth?: PulsarToken,
  ) {}

  /** An id for a producer or consumer, unique within this client (so on any of its connections). */
  newId(): number {
    return this.nextId++;
  }

  /** Partitions of a partitioned topic (0: not partitioned). */
  async partitions(topic: string): Promise<number> {
    const connection = await this.connection(await this.serviceAddress());
    const answer = await connection.request(Command.PARTITIONED_METADATA, 2, (command) => command.string(1, topic));
    if (answer.command.uint(3) !== 0) throw new QueueUnavailableError(`pulsar cannot tell the partitions of ${topic}: ${serverError(answer.command.uint(4))} ${answer.command.string(5) ?? ''}`.trim(), 2);
    return answer.command.uint(1);
  }

  /**
   * Learns `topic`'s partitions, asking until the broker answers or `stopped()`, and tells `add`
   * each one (index and topic name; a topic that is not partitioned is its own partition 0).
   * Then asks every partitionCheckMs and tells `add` of partitions added since (they are never
   * removed). Resolves with that check's timer, to clear on close (none when stopped first).
   */
  async followPartitions(topic: string, stopped: () => boolean, logger: Logger, add: (index: number, name: string) => void): Promise<NodeJS.Timeout | undefined> {
    const count = await keepTrying(
      () => this.partitions(topic),
      stopped,
      (reason, pause) => logger.warn(`pulsar cannot tell the partitions of ${topic} (${reason}); trying again in ${pause} ms`),
    );
    if (count === undefined || stopped()) return undefined;
    if (count === 0) {
      add(0, topic);
      return undefined;
    }
    let known = 0;
    const grow = (now: number): void => {
      if (stopped() || now <= known) return;
      if (known > 0) logger.info(`${topic} has ${now} partitions now (was ${known}); using the new ones`);
      for (; known < now; known++) add(known, `${topic}-partition-${known}`);
    };
    grow(count);
    const timer = setInterval(() => {
      this.partitions(topic).then(grow, () => undefined); // the broker is away: the next check asks again
    }, this.partitionCheckMs);
    timer.unref();
    return timer;
  }

  /** The connection to the broker that serves `topic` now. */
  async connectionFor(topic: string): Promise<BrokerConnection> {
    const service = await this.serviceAddress();
    // Reached over TLS: the brokers are too, at the TLS address a lookup gives beside the plain one.
    const tls = service.startsWith('pulsar+ssl://');
    let asked = await this.connection(service);
    let authoritative = false;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const answer = await asked.request(Command.LOOKUP, 2, (command) => command.string(1, topic).bool(3, authoritative));
      const { command } = answer;
      const kind = command.uint(3);
      const brokerUrl = command.string(tls ? 2 : 1);
      if (kind !== LOOKUP_REDIRECT && kind !== LOOKUP_CONNECT) throw new QueueUnavailableError(`pulsar lookup of ${topic} failed: ${serverError(command.uint(6))} ${command.string(7) ?? ''}`.trim(), 2);
      if (!brokerUrl) throw new QueueUnavailableError(`pulsar lookup of ${topic} named no broker${tls ? ' with a TLS address (brokerServicePortTls)' : ''}`, 2);
      const throughProxy = command.bool(8);
      if (kind === LOOKUP_CONNECT) return this.connection(brokerUrl, throughProxy);
      authoritative = command.bool(5);
      asked = await this.connection(brokerUrl, throughProxy);
    }
    throw new QueueUnavailableError(`pulsar lookup of ${topic} redirected more than ${MAX_REDIRECTS} times`, 2);
  }

  /** Opens the connection to the service address now (kept: the producers' and consumers' lookups go through it). */
  async connectToService(): Promise<void> {
    await this.connection(await this.serviceAddress());
  }

  /** The service URL, found once (a failed search is tried again on the next call). */
  serviceAddress(): Promise<string> {
    if (typeof this.service === 'string') return Promise.resolve(this.service);
    if (!this.serviceUrl) {
      const found = this.service();
      found.catch(() => {
        if (this.serviceUrl === found) this.serviceUrl = null;
      });
      this.serviceUrl = found;
    }
    return this.serviceUrl;
  }

  close(): void {
    this.closed = true;
    for (const pending of this.connections.values()) void pending.then((connection) => connection.close('client closed')).catch(() => undefined);
    this.connections.clear();
  }

  /** The open connection to `brokerUrl` (directly, or through the service URL when `throughProxy`), made when missing or lost. */
  private connection(brokerUrl: string, throughProxy = false): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new QueueUnavailableError('pulsar client closed', 2));
    const key = throughProxy ? `proxy:${brokerUrl}` : brokerUrl;
    const existing = this.connections.get(key);
    if (existing) {
      return existing.then(
        (connection) => (connection.isOpen ? connection : this.reopen(key, brokerUrl, throughProxy)),
        () => this.reopen(key, brokerUrl, throughProxy),
      );
    }
    return this.reopen(key, brokerUrl, throughProxy);
  }

  private reopen(key: string, brokerUrl: string, throughProxy: boolean): Promise<BrokerConnection> {
    const current = this.connections.get(key);
    const fresh = (async () => {
      const previous = await current?.catch(() => null);
      if (previous?.isOpen) return previous;
      const address = new URL(throughProxy ? await this.serviceAddress() : brokerUrl);
      return BrokerConnection.open(address, brokerUrl, throughProxy ? brokerUrl : undefined, this.auth);
    })();
    this.connections.set(key, fresh);
    fresh.catch(() => {
      if (this.connections.get(key) === fresh) this.connections.delete(key);
    });
    return fresh;
  }
}
