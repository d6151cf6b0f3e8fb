import { randomUUID } from 'node:crypto';
import type { Subject } from '../conditions/field-path.js';
import { decodeSubjects } from '../dispatch/subject-messages.js';
import { consumeLoop, errorMessage, InfrastructureError, isInfrastructureError, type Lifecycle, MessagesInHand, type ProfileRecord, type ProfileState, type QueueMessage, type RecordStore, type RuleMeter, sleep, sleepUnless, type StageMeter, type TraceSink, type WorkerOptions } from '@inflow/core';
import { carryOutEffects, type EffectTargets } from './rule-effects.js';
import { ruleEntries } from './rule-entries.js';
import type { RuleDirectory } from './rule-directory.js';
import { resumeRun, runRules, type DelayedRun, type Effect, type RuleRun } from './rule-runner.js';

export interface WorkflowWorkerOptions extends WorkerOptions, EffectTargets {
  rules: RuleDirectory;
  state: ProfileState;
  store: RecordStore;
  /** How often due delayed runs are looked for. */
  schedulePollMs: number;
  /** The workflow stage's counters (events; an unreadable message counts as one). */
  meter?: StageMeter | undefined;
  /** Rules considered, matched or not. */
  ruleMeter?: RuleMeter | undefined;
  /** Where rules that ran are recorded, with their actions. */
  trace?: TraceSink | undefined;
}

/** Rounds of "the profile changed meanwhile: read it again and rerun" before the batch waits and is tried again. */
const MAX_ROUNDS = 20;

/**
 * The workflow role: runs the rules on stored events, one profile's events in order. For each
 * profile of a batch it reads the profile as stored, runs the rules event by event, carries out
 * the effects (emitted events, deliveries: both idempotent by id), then stores the profile one
 * version on with a mark per rule run, so a redelivered batch reruns nothing. A profile that
 * another writer (a collector) moved on meanwhile is read again and the rules rerun on it.
 */
export function createWorkflowWorker(options: WorkflowWorkerOptions): Lifecycle {
  const { queue, logger, meter } = options;
  const consumer = queue.consumer(options.input, options.consumer);
  const inHand = new MessagesInHand(meter);

  async function handle(messages: QueueMessage[]): Promise<void> {
    try {
      await handleBatch(messages);
    } catch (error) {
      // Not an outage: the loop gives the batch back (nack).
      if (!isInfrastructureError(error)) inHand.giveBack(messages);
      throw error;
    }
  }

  async function handleBatch(messages: QueueMessage[]): Promise<void> {
    const started = performance.now();
    const byProfile = new Map<string, Subject[]>();
    const requestOf = new Map<string, string>();
    const unreadable: QueueMessage[] = [];
    for (const message of messages) {
      const decoded = decodeSubjects(message.data);
      inHand.take(message, decoded ? decoded.subjects.length : 1);
      if (!decoded) {
        unreadable.push(message);
        continue;
      }
      for (const subject of decoded.subjects) {
        if (options.trace) requestOf.set(subject.event.id, subject.event.requestId);
        const list = byProfile.get(subject.profile.id);
        if (list) list.push(subject);
        else byProfile.set(subject.profile.id, [subject]);
      }
    }
    const tally = { events: 0, ...newTally() };
    const jobs: ProfileJob[] = [...byProfile].map(([profileId, subjects]) => ({
      profileId,
      fallback: (subjects[0] as Subject).profile,
      run: async (stored) => {
        let profile = stored;
        const effects: Effect[] = [];
        const runs: RuleRun[] = [];
        const triggered = await options.rules.matcher();
        for (const subject of subjects) {
          const outcome = runRules(subject, profile, triggered(subject));
          profile = outcome.profile;
          effects.push(...outcome.effects);
          runs.push(...outcome.runs);
        }
        return { profile, effects, runs };
      },
    }));
    for (const subjects of byProfile.values()) tally.events += subjects.length;
    await updateProfiles(jobs, tally, requestOf);
    for (const message of unreadable) await consumer.deadLetter(message, 'not a workflow message');
    await consumer.ack(messages.filter((message) => !unreadable.includes(message)));
    for (const message of messages) {
      const events = inHand.release(message);
      if (events !== undefined) meter?.settled(unreadable.includes(message) ? 'dead_lettered' : 'done', events);
    }
    logger.info(
      `Workflow: messages ${messages.length}, profiles ${byProfile.size}, events ${tally.events}, rules run ${tally.runs} (matched ${tally.matched}), emitted ${tally.emitted}, dispatched ${tally.dispatched}, dead-lettered ${unreadable.length}, ${Math.round(performance.now() - started)} ms`,
    );
  }

  /**
   * Reads the profiles as stored (one load), lets each job change its profile, carries out all
   * effects, and stores the changed profiles one version on in one write; a profile another
   * writer moved on meanwhile is read again and its job runs again.
   */
  async function updateProfiles(jobs: ProfileJob[], tally: Tally, requestOf?: ReadonlyMap<string, string>): Promise<void> {
    let todo = jobs;
    for (let round = 1; todo.length > 0; round++) {
      if (round > MAX_ROUNDS) throw new InfrastructureError('store', `${todo.length} profiles kept changing while their rules ran; trying again later`);
      const loaded = (await options.state.load(todo.map((job) => job.profileId), [])).profiles;
      const changed: Array<{ job: ProfileJob; next: ProfileRecord; effects: Effect[]; runs: RuleRun[] }> = [];
      for (const job of todo) {
        // Stored before it was queued here; a store that lost it still has the copy the event left.
        const stored = loaded.get(job.profileId) ?? job.fallback;
        const { profile, effects, runs } = await job.run(stored);
        if (profile === stored) continue;
        changed.push({ job, next: { ...profile, updatedAt: new Date().toISOString(), version: stored.version + 1 }, effects, runs });
      }
      if (changed.length === 0) return;
      await carryOut(changed.flatMap((change) => change.effects));
      const result = await options.store.write({ profiles: changed.map((change) => change.next), sessions: [], events: [] });
      const retryable = result.profiles.failed.find((failure) => !failure.permanent);
      if (retryable) throw new InfrastructureError('store', `profile ${retryable.id}: ${retryable.reason}`);
      for (const failure of result.profiles.failed) {
        logger.error(`rules on profile ${failure.id} could not be stored (the store refused it: ${failure.reason}); their effects were carried out`);
      }
      const stale = new Set(result.profiles.staleIds);
      const refused = new Set(result.profiles.failed.map((failure) => failure.id));
      const written = changed.filter((change) => !stale.has(change.job.profileId) && !refused.has(change.job.profileId));
      await options.state.save(
        written.map((change) => change.next),
        [],
      );
      for (const { job, effects, runs } of written) {
        const matched = runs.filter((run) => run.matched).length;
        tally.runs += runs.length;
        tally.matched += matched;
        options.ruleMeter?.ran(matched, runs.length - matched);
        if (options.trace) for (const entry of ruleEntries(job.profileId, runs, requestOf)) options.trace.record(entry);
        tally.emitted += effects.filter((effect) => effect.kind === 'emit').length;
        tally.dispatched += effects.filter((effect) => effect.kind === 'dispatch').length;
      }
      todo = changed.filter((change) => stale.has(change.job.profileId)).map((change) => change.job);
      if (todo.length > 0) {
        await options.state.forget(
          todo.map((job) => job.profileId),
          [],
        );
        await sleep(Math.random() * 20 * round);
      }
    }
  }

  /** Delayed runs that are due: leased to this worker, run on the profile as it is now, then completed. */
  async function runDue(): Promise<number> {
    const due = await options.schedule.leaseDue(Date.now(), 50, owner, LEASE_MS);
    for (const item of due) {
      const delayed = item.data as DelayedRun;
      const rule = await options.rules.enabled(delayed.rule);
      if (!rule) {
        logger.warn(`delayed run ${item.id} dropped: rule ${delayed.rule} is deleted or disabled`);
      } else {
        const tally = newTally();
        let cancelled = false;
        await updateProfiles(
          [
            {
              profileId: item.profileId,
              fallback: delayed.subject.profile,
              run: async (stored) => {
                const outcome = resumeRun(delayed, rule, stored);
                cancelled = outcome.cancelled;
                return outcome;
              },
            },
          ],
          tally,
        );
        logger.info(`Workflow: delayed run ${item.id} of rule ${delayed.rule} on profile ${item.profileId} ${cancelled ? 'cancelled by its condition' : 'ran'}`);
      }
      await options.schedule.complete(item.id);
    }
    return due.length;
  }

  const carryOut = (effects: Effect[]): Promise<void> => carryOutEffects(effects, options);

  const owner = `workflow-${randomUUID()}`;
  const loop = consumeLoop({ consumer, handle, batchSize: options.batchSize, waitMs: options.waitMs, logger, isTransient: isInfrastructureError });
  const stop = new AbortController();
  let polling: Promise<void> | undefined;
  async function poll(): Promise<void> {
    while (!stop.signal.aborted) {
      let ran = 0;
      try {
        ran = await runDue();
      } catch (error) {
        logger.warn(`delayed runs not run this round: ${errorMessage(error)}`);
      }
      if (ran === 0) await sleepUnless(options.schedulePollMs, stop.signal);
    }
  }
  return {
    async start() {
      await loop.start();
      polling = poll();
    },
    async close() {
      stop.abort();
      await polling;
      await loop.close();
      // A batch waiting out an outage when closing stays unacknowledged: it is delivered again.
      inHand.giveBack();
    },
  };
}

/** How long a due delayed run is this worker's alone; a worker that dies holding it frees it after this. */
const LEASE_MS = 60_000;

/** One profile's work in a batch: what to do with the profile as stored. */
interface ProfileJob {
  profileId: string;
  fallback: ProfileRecord;
  run(stored: ProfileRecord): Promise<{ profile: ProfileRecord; effects: Effect[]; runs: RuleRun[] }>;
}

interface Tally {
  runs: number;
  matched: number;
  emitted: number;
  dispatched: number;
}

const newTally = (): Tally => ({ runs: 0, matched: 0, emitted: 0, dispatched: 0 });
