import { errorMessage, type PartitionBacklog, QueueUnavailableError } from '@inflow/core';
import { credentialsHint, pulsarAuthHeaders, type PulsarToken } from './pulsar-auth.js';

/** The few admin REST calls Inflow needs: create what is missing, read backlogs. */
export class PulsarAdmin {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
    private readonly auth?: PulsarToken,
  ) {}

  /**
   * Creates the tenant unless it exists. Its existence is asked first (listing its namespaces,
   * which its own admins may do): creating needs a super-user, whom Pulsar checks before it looks
   * whether the tenant exists, so a tenant admin's token works only for a tenant made beforehand.
   */
  async ensureTenant(tenant: string): Promise<void> {
    // 401 or 403: this role cannot tell; the creation's answer says what is wrong.
    const existing = await this.request('GET', `/admin/v2/namespaces/${tenant}`, undefined, [401, 403, 404]);
    await existing.body?.cancel();
    if (existing.ok) return;
    const clusters = (await this.json('GET', '/admin/v2/clusters')) as string[];
    await this.put(`/admin/v2/tenants/${tenant}`, { adminRoles: [], allowedClusters: clusters });
  }

  /**
   * The binary-protocol address of the brokers (`pulsar://host:port`, or `pulsar+ssl://` when
   * the web service is reached over https), from the metadata of the cluster this web service
   * belongs to (the one whose serviceUrl names it, or the only one); of a list of hosts, the
   * first. Without one (or without the right to read it), the web service's host on Pulsar's
   * usual port, 6650 or 6651.
   */
  async brokerServiceUrl(): Promise<string> {
    const web = new URL(this.baseUrl);
    // The admin API over HTTPS: the brokers over TLS too (pulsar+ssl://, the cluster's brokerServiceUrlTls).
    const tls = web.protocol === 'https:';
    const scheme = tls ? 'pulsar+ssl' : 'pulsar';
    const fallback = `${scheme}://${web.hostname}:${tls ? 6651 : 6650}`;
    // Reading the clusters' metadata takes a super-user: another role gets the usual port on the web service's host.
    const listed = await this.request('GET', '/admin/v2/clusters', undefined, [403]);
    if (listed.status === 403) {
      await listed.body?.cancel();
      return fallback;
    }
    const names = (await listed.json()) as string[];
    const clusters = await Promise.all(
      names.map(async (name) => (await this.json('GET', `/admin/v2/clusters/${encodeURIComponent(name)}`)) as { serviceUrl?: unknown; serviceUrlTls?: unknown; brokerServiceUrl?: unknown; brokerServiceUrlTls?: unknown }),
    );
    const ours =
      clusters.find((cluster) => [cluster.serviceUrl, cluster.serviceUrlTls].some((url) => typeof url === 'string' && sameHostAndPort(url, web))) ?? (clusters.length === 1 ? clusters[0] : undefined);
    const given = tls ? ours?.brokerServiceUrlTls : ours?.brokerServiceUrl;
    // Of a list of hosts, the first.
    const host = typeof given === 'string' && given.startsWith(`${scheme}://`) ? /^[^/\s,]+/.exec(given.slice(scheme.length + 3))?.[0] : undefined;
    return host ? `${scheme}://${host}` : fallback;
  }

  async ensureNamespace(tenant: string, namespace: string): Promise<void> {
    await this.put(`/admin/v2/namespaces/${tenant}/${namespace}`);
  }

  /**
   * Makes the brokers persist the acknowledgements of a namespace's subscriptions as they come
   * (its persistence policy's `managedLedgerMaxMarkDeleteRate` 0), keeping the policy's
   * BookKeeper ensemble and quorums, or the brokers' defaults (read as the policy `probeTopic`
   * has applied) where the namespace has no policy of its own.
   *
   * Pulsar's default persists a subscription's position at most once a second
   * (`managedLedgerDefaultMarkDeleteRateLimit`, 0.1 in standalone): after a broker crash every
   * message acknowledged since is delivered again, more than a profile's dedup window holds.
   */
  async persistAcksPromptly(tenant: string, namespace: string, probeTopic: string): Promise<AckPersistence> {
    const path = `/admin/v2/namespaces/${tenant}/${namespace}/persistence`;
    const current = await this.request('GET', path, undefined, [401, 403]);
    if (!current.ok) return { prompt: false, rate: undefined, reason: `its persistence policy cannot be read (${current.status}${await statusText(current)})` };
    const own = persistencePolicy(await current.text());
    if (own?.managedLedgerMaxMarkDeleteRate === 0) return { prompt: true, was: undefined };
    let policy = own;
    if (!policy) {
      // 405: topic policies are turned off (topicLevelPoliciesEnabled=false), so the brokers' defaults cannot be read.
      const applied = await this.request('GET', `/admin/v2/${probeTopic}/persistence?applied=true`, undefined, [401, 403, 404, 405]);
      if (!applied.ok) return { prompt: false, rate: undefined, reason: `the brokers' default persistence policy cannot be read (${applied.status}${await statusText(applied)})` };
      policy = persistencePolicy(await applied.text());
      if (!policy) return { prompt: false, rate: undefined, reason: 'the brokers do not say which persistence policy applies' };
    }
    // The probe's rate is not this namespace's when the probe lives in another one: set it whatever it says.
    const rate = policy.managedLedgerMaxMarkDeleteRate;
    const set = await this.request('POST', path, { ...policy, managedLedgerMaxMarkDeleteRate: 0 }, [401, 403]);
    if (!set.ok) return { prompt: false, rate, reason: `its persistence policy may not be changed by this role (${set.status}${await statusText(set)})` };
    return { prompt: true, was: rate };
  }

  /** Creates a partitioned topic, or checks that the existing one has at least that many partitions. */
  async ensurePartitionedTopic(path: string, partitions: number): Promise<void> {
    const current = await this.partitions(path);
    if (current === 0) {
      await this.put(`/admin/v2/${path}/partitions`, partitions);
    } else if (current < partitions) {
      await this.request('POST', `/admin/v2/${path}/partitions`, partitions);
    }
  }

  /** Creates a subscription at the topic's start (earliest), unless it exists. */
  async ensureSubscription(path: string, subscription: string): Promise<void> {
    // 409: it exists; 412 "Subscription Busy": another process is creating it right now.
    await this.put(`/admin/v2/${path}/subscription/${encodeURIComponent(subscription)}`, { entryId: -1, ledgerId: -1 }, [409, 412]);
  }

  /** The partitioned topics of a namespace, as TopicRef names (dead-letter topics included). */
  async partitionedTopics(tenant: string, namespace: string): Promise<string[]> {
    const response = await this.request('GET', `/admin/v2/persistent/${tenant}/${namespace}/partitioned`, undefined, [404]);
    if (response.status === 404) return [];
    const names = (await response.json()) as string[];
    return names.map((name) => name.slice(name.lastIndexOf('/') + 1));
  }

  /** Unacknowledged messages per partition and subscription; null when the topic does not exist. */
  async backlog(path: string, fullName: string): Promise<PartitionBacklog[] | null> {
    if ((await this.partitions(path)) > 0) return this.partitionedBacklog(path);
    const response = await this.request('GET', `/admin/v2/${path}/stats`, undefined, [404]);
    if (response.status === 404) return null;
    const stats = (await response.json()) as { subscriptions: Record<string, { msgBacklog: number }> };
    return rows(fullName, stats.subscriptions);
  }

  /** The backlog of a topic known to be partitioned, in one call; null when it does not exist. */
  async partitionedBacklog(path: string): Promise<PartitionBacklog[] | null> {
    const partitions = await this.partitionedStats(path);
    if (!partitions) return null;
    return Object.entries(partitions)
      .sort(([a], [b]) => partitionIndex(a) - partitionIndex(b))
      .flatMap(([partition, partitionStats]) => rows(partition, partitionStats.subscriptions));
  }

  /**
   * One subscription on each partition of a partitioned topic: its backlog, and whether a
   * consumer holds messages (delivered, not acknowledged). A backlog that nobody holds while
   * consumers are connected is a stalled dispatcher (see StallWatch).
   */
  async subscriptionOnPartitions(path: string, subscription: string): Promise<SubscriptionOnPartition[]> {
    return Object.entries((await this.partitionedStats(path)) ?? {}).flatMap(([partition, partitionStats]) => {
      const sub = partitionStats.subscriptions[subscription];
      if (!sub) return [];
      const consumers = sub.consumers ?? [];
      return [{ partition, backlog: sub.msgBacklog, consumers: consumers.length, held: consumers.reduce((sum, c) => sum + (c.unackedMessages ?? 0), 0) }];
    });
  }

  /** Unloads one partition (full name, persistent://…): the broker closes its consumers and producers, which reconnect, and starts its dispatch afresh. */
  async unload(partition: string): Promise<void> {
    await this.put(`/admin/v2/${partition.replace('://', '/')}/unload`);
  }

  /** Each partition's stats (by its full name) of a partitioned topic, in one call; null when it does not exist. */
  private async partitionedStats(path: string): Promise<Record<string, PartitionStats> | null> {
    const response = await this.request('GET', `/admin/v2/${path}/partitioned-stats?perPartition=true`, undefined, [404]);
    if (response.status === 404) return null;
    return ((await response.json()) as { partitions: Record<string, PartitionStats> }).partitions;
  }

  /** Partitions of a topic; 0 when it is not partitioned or does not exist. */
  private async partitions(path: string): Promise<number> {
    const response = await this.request('GET', `/admin/v2/${path}/partitions`, undefined, [404]);
    if (response.status === 404) return 0;
    return ((await response.json()) as { partitions: number }).partitions;
  }

  private async put(path: string, body?: unknown, okStatuses: number[] = []): Promise<void> {
    await this.request('PUT', path, body, [409, ...okStatuses]);
  }

  private async json(method: string, path: string): Promise<unknown> {
    return (await this.request(method, path)).json();
  }

  /**
   * One admin call. Pulsar's web port not answering (refused, timed out) or answering 5xx is an
   * outage: QueueUnavailableError, which callers retry and the private API answers with 503.
   */
  private async request(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: { ...pulsarAuthHeaders(this.auth), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : errorMessage(error);
      throw new QueueUnavailableError(`pulsar admin ${method} ${path}: ${cause}`, 5, { cause: error });
    }
    if (!response.ok && !okStatuses.includes(response.status)) {
      const body = await response.text();
      const message = `pulsar admin ${method} ${path}: ${response.status} ${bodySummary(body)}${authHint(response.status, this.auth, body)}`;
      if (response.status >= 500) throw new QueueUnavailableError(message, 5);
      throw new Error(message);
    }
    return response;
  }
}

/**
 * How a namespace's acknowledgements are persisted: as they come (`prompt`, with the rate `was`
 * before Inflow set it), or at most `rate` times a second (unknown when unreadable) and why
 * Inflow could not change it.
 */
export type AckPersistence = { prompt: true; was: number | undefined } | { prompt: false; rate: number | undefined; reason: string };

/** A namespace's or a topic's persistence policy as Pulsar answers it (an empty answer: none set). */
interface PersistencePolicy {
  bookkeeperEnsemble: number;
  bookkeeperWriteQuorum: number;
  bookkeeperAckQuorum: number;
  managedLedgerMaxMarkDeleteRate: number;
}

function persistencePolicy(text: string): PersistencePolicy | undefined {
  if (text.trim() === '') return undefined;
  const value = JSON.parse(text) as Partial<PersistencePolicy> | null;
  const fields = ['bookkeeperEnsemble', 'bookkeeperWriteQuorum', 'bookkeeperAckQuorum', 'managedLedgerMaxMarkDeleteRate'] as const;
  if (!value || !fields.every((field) => typeof value[field] === 'number')) return undefined;
  return value as PersistencePolicy;
}

async function statusText(response: Response): Promise<string> {
  const text = (await response.text()).trim();
  return text ? `: ${bodySummary(text)}` : '';
}

/** What Inflow reads of a partition's stats. */
interface PartitionStats {
  subscriptions: Record<string, { msgBacklog: number; consumers?: Array<{ unackedMessages?: number }> }>;
}

export interface SubscriptionOnPartition {
  /** Full name: persistent://tenant/namespace/topic-partition-N. */
  partition: string;
  backlog: number;
  consumers: number;
  /** Messages delivered to its consumers and not acknowledged yet. */
  held: number;
}

function rows(partition: string, subscriptions: Record<string, { msgBacklog: number }>): PartitionBacklog[] {
  return Object.entries(subscriptions).map(([subscription, stats]) => ({ partition, subscription, count: stats.msgBacklog }));
}

function partitionIndex(name: string): number {
  return Number(/-partition-(\d+)$/.exec(name)?.[1] ?? 0);
}

function sameHostAndPort(url: string, web: URL): boolean {
  try {
    const other = new URL(url.split(',')[0] ?? url);
    const portOf = (url: URL): string => url.port || (url.protocol === 'https:' ? '443' : '80');
    return other.hostname === web.hostname && portOf(other) === portOf(web);
  } catch {
    return false;
  }
}

/**
 * What to do about a 401 or 403 from Pulsar: it wants a token, refused the one given, or the
 * token's role may not do this (Pulsar answers that with 401 "Unauthorized to …" or with 403).
 */
export function authHint(status: number, auth: PulsarToken | undefined, body = ''): string {
  if (status === 403 || (status === 401 && auth && /Unauthorized to /.test(body))) {
    return " (the token's role is not allowed to do this: make it a super-user, or an admin of the tenant created beforehand)";
  }
  if (status === 401) return ` (${credentialsHint(auth)})`;
  return '';
}

/** An error body as a log line can carry it: an HTML error page (Pulsar's web server) by its title, anything else cut at 500 characters. */
export function bodySummary(body: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim();
  if (title) return title;
  return body.length > 500 ? `${body.slice(0, 500)}…` : body;
}
