import { workerData } from 'node:worker_threads';
import { openDatabase } from './sqlite.js';
import { prepareStoreSchema, type StoreWrite } from './store-writes.js';
import { serveWrites } from './writer-thread-loop.js';

/**
 * The embedded store's writer thread: its own connection to the store file, where profiles,
 * sessions and events are written (writer-thread-loop); reads stay on the main thread's
 * connection, which sees every committed write (WAL). A profile or session is written only
 * over an older version.
 */
const db = openDatabase((workerData as { file: string }).file);
prepareStoreSchema(db);
const sql = {
  profile: db.prepare(
    `INSERT INTO profiles (id, version, data) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data WHERE excluded.version > profiles.version`,
  ),
  session: db.prepare(
    `INSERT INTO sessions (id, profile_id, version, started_at, data) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET profile_id = excluded.profile_id, version = excluded.version, started_at = excluded.started_at, data = excluded.data
     WHERE excluded.version > sessions.version`,
  ),
  event: db.prepare('INSERT OR IGNORE INTO events (id, profile_id, session_id, type, time, data) VALUES (?, ?, ?, ?, ?, ?)'),
};

serveWrites(db, apply);

/** Rows changed: 1 written, 0 left as they were. */
function apply(write: StoreWrite): number {
  switch (write.op) {
    case 'profile':
      return sql.profile.run(write.id, write.version, write.data).changes;
    case 'session':
      return sql.session.run(write.id, write.profileId, write.version, write.startedAt, write.data).changes;
    case 'event':
      return sql.event.run(write.id, write.profileId, write.sessionId, write.type, write.time, write.data).changes;
  }
}
