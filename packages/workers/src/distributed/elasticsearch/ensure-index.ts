import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { infrastructure } from './transient-errors.js';


/**
 * Creates an index with its settings and mappings when it is missing (another process creating
 * it at the same moment is fine); an existing one gets the fields added to its mappings since it
 * was made, which is all putMapping may do.
 */
export async function ensureIndex(client: Client, index: string, settings: estypes.IndicesIndexSettings, mappings: estypes.MappingTypeMapping): Promise<void> {
  await infrastructure(async () => {
    if (await client.indices.exists({ index })) {
      await client.indices.putMapping({ index, ...mappings });
      return;
    }
    try {
      await client.indices.create({ index, settings, mappings });
    } catch (error) {
      if (!(error instanceof errors.ResponseError && error.body?.error?.type === 'resource_already_exists_exception')) throw error;
    }
  });
}
