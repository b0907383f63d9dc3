//! Embedded schema migrations, applied in order and recorded in `PRAGMA user_version`.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: repositories and their tags.
    "CREATE TABLE repositories (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        kms_key_id TEXT NOT NULL,
        creation_date REAL NOT NULL,
        last_modified_date REAL NOT NULL,
        default_branch TEXT,
        UNIQUE (account, region, name)
    );
    CREATE TABLE repository_tags (
        repository_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (repository_id, key)
    );",
    // 2: temporary credentials issued by our STS (identity::sts).
    "CREATE TABLE sts_sessions (
        access_key_id TEXT PRIMARY KEY,
        secret_access_key TEXT,
        session_token TEXT,
        account TEXT NOT NULL,
        arn TEXT NOT NULL,
        user_id TEXT NOT NULL,
        expiration REAL
    );",
    // 3: repository triggers (events::triggers) and the event outbox (events::outbox). Triggers
    // belong to the repository id, so renames keep them and deletes take them along; outbox rows
    // outlive their repository (what was acknowledged is still delivered).
    "CREATE TABLE repository_triggers (
        repository_id TEXT PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
        configuration_id TEXT NOT NULL,
        triggers TEXT NOT NULL
    );
    CREATE TABLE event_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        created REAL NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        repository_id TEXT,
        repository_name TEXT,
        format TEXT NOT NULL,
        target TEXT NOT NULL,
        destination TEXT NOT NULL,
        event_name TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        delivered REAL
    );
    CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE status = 'pending';
    CREATE INDEX event_outbox_repository ON event_outbox (repository_name, seq);",
];

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
