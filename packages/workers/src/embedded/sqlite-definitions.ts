import type { Definition, DefinitionKind, DefinitionStore, PutOutcome } from '@inflow/core';
import { openDatabase, sqliteCall, type SqliteDatabase } from './sqlite.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS definitions (
  kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id)
);`;

/** Destinations and rules of the embedded engine, in the store's SQLite file (own connection). */
export class SqliteDefinitions implements DefinitionStore {
  private readonly db: SqliteDatabase;
  private readonly sql;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.db.exec(SCHEMA);
    this.sql = {
      list: this.db.prepare<[string], { data: string }>('SELECT data FROM definitions WHERE kind = ? ORDER BY id'),
      get: this.db.prepare<[string, string], { data: string }>('SELECT data FROM definitions WHERE kind = ? AND id = ?'),
      insert: this.db.prepare('INSERT OR IGNORE INTO definitions (kind, id, version, data) VALUES (?, ?, ?, ?)'),
      update: this.db.prepare('UPDATE definitions SET version = ?, data = ? WHERE kind = ? AND id = ? AND version = ?'),
      delete: this.db.prepare('DELETE FROM definitions WHERE kind = ? AND id = ?'),
    };
  }

  async list(kind: DefinitionKind): Promise<Definition[]> {
    return sqliteCall('definitions', () => this.sql.list.all(kind).map((row) => JSON.parse(row.data) as Definition));
  }

  async get(kind: DefinitionKind, id: string): Promise<Definition | null> {
    return sqliteCall('definitions', () => {
      const row = this.sql.get.get(kind, id);
      return row ? (JSON.parse(row.data) as Definition) : null;
    });
  }

  async put(kind: DefinitionKind, definition: Definition): Promise<PutOutcome> {
    return sqliteCall('definitions', () => {
      const data = JSON.stringify(definition);
      const changes =
        definition.version === 1
          ? this.sql.insert.run(kind, definition.id, 1, data).changes
          : this.sql.update.run(definition.version, data, kind, definition.id, definition.version - 1).changes;
      return changes === 1 ? 'written' : 'conflict';
    });
  }

  async delete(kind: DefinitionKind, id: string): Promise<boolean> {
    return sqliteCall('definitions', () => this.sql.delete.run(kind, id).changes === 1);
  }

  close(): void {
    this.db.close();
  }
}
