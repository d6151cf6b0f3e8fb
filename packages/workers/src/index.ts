export { collect, MOST_EVENTS_PER_REQUEST, RECENT_EVENTS_KEPT } from './collector/collect.js';
export { Collector, type CollectOutcome, type CollectorOptions } from './collector/collector.js';
export type { SubjectFeed } from './collector/collect-and-store.js';
export { createCollectorWorker, type CollectorWorkerOptions } from './collector/collector-worker.js';
export { SqliteQueue, type SqliteQueueOptions } from './embedded/sqlite-queue.js';
export { SqliteStore } from './embedded/sqlite-store.js';
export { CachedProfileState } from './embedded/cached-profile-state.js';
export { createEmbeddedEngine, type EmbeddedSettings } from './embedded/embedded-engine.js';
export type { DistributedSettings } from './distributed/distributed-engine.js';
export { createDistributedEngine } from './distributed/lazy-engine.js';
export { checkPulsarBroker } from './distributed/pulsar/binary/broker-check.js';
export { PulsarToken } from './distributed/pulsar/pulsar-auth.js';
export { checkDestination, compileTrigger, type DestinationRecord, type DestinationSpec, type DestinationTrigger, type DefinitionProblem } from './dispatch/destination.js';
export { compileMapping, renderMapping, isMappingProblem, DEFAULT_MAPPING, type Mapping } from './dispatch/mapping.js';
export { sendWebhook, idempotencyKey, type SendWebhook, type WebhookRequest } from './dispatch/webhook-sender.js';
export { decideDelivery, type AttemptOutcome, type DeliveryDecision, type DeliveryPolicy } from './dispatch/delivery-decision.js';
export { compileCondition, evaluateCondition, isConditionProblem, type Condition, type CompiledCondition } from './conditions/condition.js';
export type { Subject } from './conditions/field-path.js';
export { SqliteDefinitions } from './embedded/sqlite-definitions.js';
export {
  resolveHeaders,
  hasMissingSecrets,
  missingSecrets,
  redactHeaders,
  redactText,
  sentSecretValues,
  secretKey,
  secretEnvName,
  SECRET_ENV_PREFIX,
  REDACTED,
  type Secrets,
  type MissingSecret,
} from './dispatch/secrets.js';
export { DestinationDirectory, type ActiveDestination } from './dispatch/destination-directory.js';
export { DispatchFeed } from './dispatch/dispatch-feed.js';
export type { SubjectMessage } from './dispatch/subject-messages.js';
export { createDispatcher, type Dispatcher, type DispatcherOptions } from './dispatch/dispatcher.js';
export { checkRule, type RuleSpec, type RuleRecord, type RuleAction } from './workflow/rule.js';
export { compileRule, type CompiledRule, MAX_EMIT_DEPTH } from './workflow/rule.js';
export { RuleDirectory } from './workflow/rule-directory.js';
export { WorkflowFeed } from './workflow/workflow-feed.js';
export { RulesInBatch, RulesRound, type RulesInBatchOptions } from './workflow/rules-in-batch.js';
export { createWorkflowWorker, type WorkflowWorkerOptions } from './workflow/workflow-worker.js';
export { runRules, rulesRanFor, emittedEventId } from './workflow/rule-runner.js';
