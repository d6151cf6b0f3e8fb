import { errors, type Client } from '@elastic/elasticsearch';
import type { Definition, DefinitionKind, DefinitionStore, PutOutcome } from '@inflow/core';
import { canBeDocumentId } from './document-ids.js';
import { ensureIndex } from './ensure-index.js';
import { infrastructure as reachable } from './transient-errors.js';

/** Stored, not indexed, apart from what listing needs: a definition's fields are never searched. */
const DEFINITION_MAPPINGS = {
  dynamic: false,
  properties: { kind: { type: 'keyword' }, id: { type: 'keyword' }, version: { type: 'long' }, definition: { type: 'object', enabled: false } },
} as const;

interface DefinitionDoc {
  kind: DefinitionKind;
  id: string;
  version: number;
  definition: Definition;
}

/**
 * Destinations and rules of the distributed engine: one index, `_id` = `kind:id`. Updates are
 * compare-and-set on Elasticsearch's sequence number, read with the stored version, so a
 * conflicting writer gets 'conflict' and a deleted id can be created again at version 1.
 */
export class ElasticDefinitions implements DefinitionStore {
  private readonly index: string;

  constructor(
    private readonly client: Client,
    indexPrefix: string,
  ) {
    this.index = `${indexPrefix}-definitions`;
  }

  async init(): Promise<void> {
    await ensureIndex(this.client, this.index, { number_of_replicas: 0 }, DEFINITION_MAPPINGS);
  }


  list(kind: DefinitionKind): Promise<Definition[]> {
    return reachable(async () => {
      const response = await this.client.search<DefinitionDoc>({
        index: this.index,
        query: { term: { kind } },
        sort: [{ id: 'asc' }],
        size: 10_000,
        ignore_unavailable: true,
      });
      return response.hits.hits.flatMap((hit) => (hit._source ? [hit._source.definition] : []));
    });
  }

  async get(kind: DefinitionKind, id: string): Promise<Definition | null> {
    return (await this.read(kind, id))?.definition ?? null;
  }

  put(kind: DefinitionKind, definition: Definition): Promise<PutOutcome> {
    return reachable(async () => {
      const document: DefinitionDoc = { kind, id: definition.id, version: definition.version, definition };
      try {
        if (definition.version === 1) {
          await this.client.index({ index: this.index, id: docId(kind, definition.id), document, op_type: 'create', refresh: 'wait_for' });
          return 'written';
        }
        const current = await this.read(kind, definition.id);
        if (!current || current.definition.version !== definition.version - 1) return 'conflict';
        await this.client.index({
          index: this.index,
          id: docId(kind, definition.id),
          document,
          if_seq_no: current.seqNo,
          if_primary_term: current.primaryTerm,
          refresh: 'wait_for',
        });
        return 'written';
      } catch (error) {
        if (error instanceof errors.ResponseError && error.statusCode === 409) return 'conflict';
        throw error;
      }
    });
  }

  delete(kind: DefinitionKind, id: string): Promise<boolean> {
    if (!canBeDocumentId(docId(kind, id))) return Promise.resolve(false);
    return reachable(async () => {
      try {
        await this.client.delete({ index: this.index, id: docId(kind, id), refresh: 'wait_for' });
        return true;
      } catch (error) {
        if (error instanceof errors.ResponseError && error.statusCode === 404) return false;
        throw error;
      }
    });
  }

  private read(kind: DefinitionKind, id: string): Promise<{ definition: Definition; seqNo: number; primaryTerm: number } | null> {
    if (!canBeDocumentId(docId(kind, id))) return Promise.resolve(null);
    return reachable(async () => {
      try {
        const response = await this.client.get<DefinitionDoc>({ index: this.index, id: docId(kind, id) });
        if (!response._source || response._seq_no === undefined || response._primary_term === undefined) return null;
        return { definition: response._source.definition, seqNo: response._seq_no, primaryTerm: response._primary_term };
      } catch (error) {
        if (error instanceof errors.ResponseError && error.statusCode === 404) return null;
        throw error;
      }
    });
  }
}

const docId = (kind: DefinitionKind, id: string): string => `${kind}:${id}`;
