import { errorMessage, InfrastructureError, isInfrastructureError, type Logger, madeOnFirstUse, shownUrl } from '@inflow/core';
import type { ElasticStorage, ElasticStorageOptions } from './elastic-storage.js';

/** How long closing waits for an opening still under way before leaving it. */
const CLOSE_WAIT_MS = 5_000;

/** Opens the Elasticsearch storage once (at start, or on first use) and closes it with the engine. */
export interface StorageOpener {
  /** The storage, opened now if it is not yet; after close(), an outage error (InfrastructureError). */
  get(): Promise<ElasticStorage>;
  close(): Promise<void>;
}

/**
 * The storage's opener. Its module (and the Elasticsearch client) is imported at the first get().
 * `onFirstUse`: each get() that fails is a caller's outage (InfrastructureError, so a 503 or a
 * retry, never a 500 or a dead letter), a refusal too (a wrong password, a certificate not trusted:
 * at start those stop a role, on first use the edge is running already), logged when it starts
 * failing or fails otherwise, and again once it opens; a failed open is tried again at a get() at
 * least 1 s later. Without it, errors come out as they are (the start decides what waits).
 */
export function storageOpener(options: ElasticStorageOptions, logger: Logger, onFirstUse: boolean): StorageOpener {
  const closedError = (): InfrastructureError => new InfrastructureError('store', 'elasticsearch: the engine is closed');
  let closed = false;
  let failing: string | undefined;
  const storage = madeOnFirstUse(async (): Promise<ElasticStorage> => {
    if (closed) throw closedError();
    let opened: ElasticStorage;
    try {
      const { openElasticStorage } = await import('./elastic-storage.js');
      opened = await openElasticStorage(options);
    } catch (error) {
      if (!onFirstUse) throw error;
      const reason = errorMessage(error);
      const refused = !isInfrastructureError(error);
      if (reason !== failing) {
        failing = reason;
        const line = `elasticsearch at ${shownUrl(options.url)} not opened on first use, tried again at the next use at least 1 s from now: ${reason}`;
        if (refused) logger.error(`${line} (a refusal: check INFLOW_ELASTICSEARCH_URL and its credentials)`);
        else logger.warn(line);
      }
      throw refused ? new InfrastructureError('store', `elasticsearch refused: ${reason}`, { cause: error }) : error;
    }
    if (closed) {
      await opened.store.close().catch(() => undefined);
      throw closedError();
    }
    if (onFirstUse) logger.info(`elasticsearch connected on first use${failing ? ' (after failed attempts)' : ''}`, { elasticsearch: shownUrl(options.url), indexPrefix: options.indexPrefix });
    failing = undefined;
    return opened;
  });
  return {
    get: () => (closed ? Promise.reject(closedError()) : storage.get()),
    async close() {
      closed = true;
      const opening = storage.made();
      if (!opening) return;
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), CLOSE_WAIT_MS)));
      const opened = await Promise.race([opening.catch(() => undefined), gaveUp]);
      clearTimeout(timer);
      await opened?.store.close();
    },
  };
}
