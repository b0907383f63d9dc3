//! Repository metadata: SQLite (WAL, synchronous=FULL) for durability, and an in-memory catalog
//! that answers every read. All writes go through one connection under a mutex, and the catalog
//! is updated under the same mutex after the transaction commits, so readers never see a write
//! that is not on disk and never wait on SQLite.

mod schema;

use crate::error::{ApiError, ApiResult};
use parking_lot::{Mutex, RwLock};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// What CodeCommit knows about a repository besides its git contents.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoRecord {
    pub id: String,
    pub account: String,
    pub region: String,
    pub name: String,
    pub description: Option<String>,
    pub kms_key_id: String,
    pub creation_date: f64,
    pub last_modified_date: f64,
    pub default_branch: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The record's `repositoryMetadata` JSON, made on first read (GetRepository).
    pub metadata_json: Memo,
}

/// A value computed once from an immutable record. Records are replaced, never changed in
/// place, and a clone starts empty, so what it holds can never describe an older record.
#[derive(Default)]
pub struct Memo(std::sync::OnceLock<Box<[u8]>>);

impl Memo {
    pub fn get_or_init(&self, make: impl FnOnce() -> Vec<u8>) -> &[u8] {
        self.0.get_or_init(|| make().into_boxed_slice())
    }
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

/// Derived data: two records are equal whatever their memos hold.
impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

/// name → record, names sorted for ListRepositories.
type Scope = BTreeMap<String, Arc<RepoRecord>>;

#[derive(Default)]
struct Catalog {
    /// account → region → scope: nested, so a lookup by `&str` allocates no key.
    scopes: HashMap<String, HashMap<String, Scope>>,
    by_id: HashMap<String, Arc<RepoRecord>>,
}

impl Catalog {
    fn scope(&self, account: &str, region: &str) -> Option<&Scope> {
        self.scopes.get(account)?.get(region)
    }

    fn put(&mut self, rec: Arc<RepoRecord>) {
        self.scopes
            .entry(rec.account.clone())
            .or_default()
            .entry(rec.region.clone())
            .or_default()
            .insert(rec.name.clone(), rec.clone());
        self.by_id.insert(rec.id.clone(), rec);
    }

    fn remove(&mut self, rec: &RepoRecord) {
        if let Some(scope) = self
            .scopes
            .get_mut(&rec.account)
            .and_then(|regions| regions.get_mut(&rec.region))
        {
            scope.remove(&rec.name);
        }
        self.by_id.remove(&rec.id);
    }
}

pub struct Store {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    /// Idle read connections (WAL readers never block the writer); one is opened on demand
    /// when all are busy.
    readers: Mutex<Vec<Connection>>,
    /// A second connection to the same database with `synchronous=NORMAL`, used (with
    /// `writer` held, so writes stay serialized) for bookkeeping after ref moves.
    relaxed: Mutex<Connection>,
    catalog: RwLock<Catalog>,
    /// Repositories that may have open pull requests: a superset (ids join when a pull
    /// request is created and at startup, and never leave), so that the ref moves of every
    /// other repository skip the pull-request lookup, a read that costs more than the rest of
    /// the bookkeeping.
    pull_request_repositories: RwLock<HashSet<String>>,
}

/// Rows another area writes in the same transaction as a repository record.
pub type AlsoWrite<'a> = &'a mut dyn FnMut(&rusqlite::Transaction<'_>) -> ApiResult<()>;

/// How a metadata write reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sync {
    /// fsync of the WAL before the answer: survives a power loss.
    Full,
    /// Written to the WAL before the answer: survives the process being killed.
    Normal,
}

/// Outcome of an insert that can collide.
pub enum Insert {
    Done(Arc<RepoRecord>),
    NameExists,
    LimitExceeded,
}

impl Store {
    pub fn open(path: &Path) -> ApiResult<Store> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        let catalog = load_catalog(&conn)?;
        let pull_request_repositories = {
            let mut stmt = conn.prepare(
                "SELECT DISTINCT repository_id FROM pull_request_targets WHERE open = 1",
            )?;
            let ids = stmt.query_map([], |row| row.get::<_, String>(0))?;
            ids.collect::<Result<HashSet<_>, _>>()?
        };
        let relaxed = Connection::open(path)?;
        relaxed.pragma_update(None, "synchronous", "NORMAL")?;
        relaxed.pragma_update(None, "foreign_keys", "ON")?;
        relaxed.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store {
            path: path.to_owned(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            relaxed: Mutex::new(relaxed),
            catalog: RwLock::new(catalog),
            pull_request_repositories: RwLock::new(pull_request_repositories),
        })
    }

    pub fn get(&self, account: &str, region: &str, name: &str) -> Option<Arc<RepoRecord>> {
        let catalog = self.catalog.read();
        catalog
            .scope(account, region)
            .and_then(|scope| scope.get(name))
            .cloned()
    }

    pub fn get_by_id(&self, id: &str) -> Option<Arc<RepoRecord>> {
        self.catalog.read().by_id.get(id).cloned()
    }

    /// All repositories of an account and region, sorted by name.
    pub fn list(&self, account: &str, region: &str) -> Vec<Arc<RepoRecord>> {
        let catalog = self.catalog.read();
        catalog
            .scope(account, region)
            .map(|scope| scope.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn all(&self) -> Vec<Arc<RepoRecord>> {
        self.catalog.read().by_id.values().cloned().collect()
    }

    /// Inserts a new repository unless the name is taken or the scope is full.
    pub fn insert(&self, rec: RepoRecord, limit: usize) -> ApiResult<Insert> {
        let mut conn = self.writer.lock();
        {
            let catalog = self.catalog.read();
            if let Some(scope) = catalog.scope(&rec.account, &rec.region) {
                if scope.contains_key(&rec.name) {
                    return Ok(Insert::NameExists);
                }
                if scope.len() >= limit {
                    return Ok(Insert::LimitExceeded);
                }
            }
        }
        let tx = conn.transaction()?;
        write_row(&tx, &rec)?;
        write_tags(&tx, &rec)?;
        tx.commit()?;
        let rec = Arc::new(rec);
        self.catalog.write().put(rec.clone());
        Ok(Insert::Done(rec))
    }

    /// Applies `change` to the current record of repository `id` and stores the result. The
    /// closure runs under the writer lock, so checks it makes cannot race with other writes.
    /// A rename onto a taken name fails with `RepositoryNameExistsException`.
    pub fn update<F>(&self, id: &str, change: F) -> ApiResult<Option<Arc<RepoRecord>>>
    where
        F: FnOnce(&mut RepoRecord) -> ApiResult<()>,
    {
        self.update_with(id, change, Sync::Full, None)
    }

    /// Like [`Self::update`] for bookkeeping that follows a ref move (lastModifiedDate, the
    /// first default branch): committed without the extra WAL fsync. It still survives a
    /// `kill -9` (the WAL is written before the answer); like the ref itself, which git and
    /// gix move by rename without fsync, only a power loss could undo it. `also` is written
    /// in the same transaction (the outbox's record of the move: one commit instead of two on
    /// every write's path), and runs even when the record itself is unchanged.
    pub fn update_after_ref_move<F>(
        &self,
        id: &str,
        change: F,
        also: AlsoWrite<'_>,
    ) -> ApiResult<Option<Arc<RepoRecord>>>
    where
        F: FnOnce(&mut RepoRecord) -> ApiResult<()>,
    {
        self.update_with(id, change, Sync::Normal, Some(also))
    }

    fn update_with<F>(
        &self,
        id: &str,
        change: F,
        sync: Sync,
        also: Option<AlsoWrite<'_>>,
    ) -> ApiResult<Option<Arc<RepoRecord>>>
    where
        F: FnOnce(&mut RepoRecord) -> ApiResult<()>,
    {
        let mut conn = self.writer.lock();
        let Some(current) = self.get_by_id(id) else {
            return Ok(None);
        };
        let mut next = (*current).clone();
        change(&mut next)?;
        if next == *current {
            if let Some(also) = also {
                let mut relaxed = self.relaxed.lock();
                let tx = relaxed.transaction()?;
                also(&tx)?;
                tx.commit()?;
            }
            return Ok(Some(current));
        }
        if next.name != current.name && self.get(&next.account, &next.region, &next.name).is_some()
        {
            return Err(crate::err!(
                RepositoryNameExists,
                "Repository named {} already exists",
                next.name
            ));
        }
        let mut relaxed = match sync {
            Sync::Normal => Some(self.relaxed.lock()),
            Sync::Full => None,
        };
        let conn = match relaxed.as_deref_mut() {
            Some(r) => r,
            None => &mut *conn,
        };
        let tx = conn.transaction()?;
        write_row(&tx, &next)?;
        if next.tags != current.tags {
            write_tags(&tx, &next)?;
        }
        if let Some(also) = also {
            also(&tx)?;
        }
        tx.commit()?;
        let next = Arc::new(next);
        let mut catalog = self.catalog.write();
        catalog.remove(&current);
        catalog.put(next.clone());
        Ok(Some(next))
    }

    /// Removes a repository's metadata; returns what was removed.
    pub fn delete(&self, id: &str) -> ApiResult<Option<Arc<RepoRecord>>> {
        let conn = self.writer.lock();
        let Some(current) = self.get_by_id(id) else {
            return Ok(None);
        };
        conn.execute("DELETE FROM repositories WHERE id = ?1", params![id])?;
        self.catalog.write().remove(&current);
        Ok(Some(current))
    }

    /// Forgets everything (the `/reset` endpoint).
    /// Every table is emptied, including those of other areas (pull requests, sessions, …).
    pub fn clear(&self) -> ApiResult<()> {
        let mut conn = self.writer.lock();
        let tables: Vec<String> = {
            let mut stmt = conn.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )?;
            stmt.query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        let tx = conn.transaction()?;
        for table in &tables {
            tx.execute(&format!("DELETE FROM \"{table}\""), [])?;
        }
        tx.commit()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        *self.catalog.write() = Catalog::default();
        Ok(())
    }

    /// Notes that a pull request is about to be created in the repository (before its write,
    /// so a ref move racing with it looks it up).
    pub fn note_pull_request_repository(&self, id: &str) {
        if !self.pull_request_repositories.read().contains(id) {
            self.pull_request_repositories.write().insert(id.to_owned());
        }
    }

    /// False when the repository certainly has no open pull request.
    pub fn may_have_pull_requests(&self, id: &str) -> bool {
        self.pull_request_repositories.read().contains(id)
    }

    /// Whether an id is known to the store (used to find orphaned directories at startup).
    pub fn contains_id(&self, id: &str) -> bool {
        self.catalog.read().by_id.contains_key(id)
    }

    /// Runs `f` in one transaction on the writer connection and commits it with
    /// `synchronous=FULL` before returning: what `f` wrote is on disk when this returns `Ok`.
    /// An error from `f` rolls everything back. Area modules (pull requests, comments, …) keep
    /// their own tables and use this for every write.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Like [`Self::write`], for records that follow a ref move (pull requests following their
    /// branches, the event outbox) and delivery bookkeeping: committed to the WAL before
    /// returning but without its fsync, so it survives a `kill -9` like the ref itself, which
    /// git moves by rename without fsync (see [`Self::update_after_ref_move`]); only a power
    /// loss could undo it. Serialized with every other write.
    pub fn write_after_ref_move<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let _writer = self.writer.lock();
        let mut conn = self.relaxed.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on a read connection: a consistent snapshot of what was committed, never
    /// waiting for writers.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
        let conn = match self.readers.lock().pop() {
            Some(c) => c,
            None => open_reader(&self.path)?,
        };
        let out = f(&conn);
        let mut idle = self.readers.lock();
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Runs a read on the writer connection (rare, non-hot paths only).
    pub fn query_row<T>(
        &self,
        sql: &str,
        id: &str,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> ApiResult<Option<T>> {
        let conn = self.writer.lock();
        Ok(conn.query_row(sql, params![id], f).optional()?)
    }
}

/// Read connections kept open between calls.
const MAX_IDLE_READERS: usize = 8;

fn open_reader(path: &Path) -> ApiResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn write_row(conn: &Connection, r: &RepoRecord) -> Result<(), ApiError> {
    // Cached: every ref move rewrites the row (lastModifiedDate), and parsing it cost more
    // than running it.
    conn.prepare_cached(
        "INSERT INTO repositories (id, account, region, name, description, kms_key_id, creation_date,
                                   last_modified_date, default_branch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description,
             kms_key_id = excluded.kms_key_id, last_modified_date = excluded.last_modified_date,
             default_branch = excluded.default_branch",
    )?
    .execute(params![
            r.id,
            r.account,
            r.region,
            r.name,
            r.description,
            r.kms_key_id,
            r.creation_date,
            r.last_modified_date,
            r.default_branch
        ],
    )?;
    Ok(())
}

fn write_tags(conn: &Connection, r: &RepoRecord) -> Result<(), ApiError> {
    conn.execute(
        "DELETE FROM repository_tags WHERE repository_id = ?1",
        params![r.id],
    )?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO repository_tags (repository_id, key, value) VALUES (?1, ?2, ?3)",
    )?;
    for (k, v) in &r.tags {
        stmt.execute(params![r.id, k, v])?;
    }
    Ok(())
}

fn load_catalog(conn: &Connection) -> Result<Catalog, ApiError> {
    let mut tags: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let mut stmt = conn.prepare("SELECT repository_id, key, value FROM repository_tags")?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (id, k, v) = row?;
        tags.entry(id).or_default().insert(k, v);
    }
    let mut catalog = Catalog::default();
    let mut stmt = conn.prepare(
        "SELECT id, account, region, name, description, kms_key_id, creation_date, last_modified_date,
                default_branch FROM repositories",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(RepoRecord {
            id: row.get(0)?,
            account: row.get(1)?,
            region: row.get(2)?,
            name: row.get(3)?,
            description: row.get(4)?,
            kms_key_id: row.get(5)?,
            creation_date: row.get(6)?,
            last_modified_date: row.get(7)?,
            default_branch: row.get(8)?,
            tags: BTreeMap::new(),
            metadata_json: Default::default(),
        })
    })?;
    for row in rows {
        let mut rec = row?;
        rec.tags = tags.remove(&rec.id).unwrap_or_default();
        catalog.put(Arc::new(rec));
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> RepoRecord {
        RepoRecord {
            id: format!("id-{name}"),
            account: "000000000000".into(),
            region: "us-east-1".into(),
            name: name.into(),
            description: None,
            kms_key_id: "k".into(),
            creation_date: 1.0,
            last_modified_date: 1.0,
            default_branch: None,
            tags: BTreeMap::from([("a".to_string(), "b".to_string())]),
            metadata_json: Default::default(),
        }
    }

    #[test]
    fn writes_survive_reopen_and_renames_move_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.db");
        {
            let store = Store::open(&path).unwrap();
            assert!(matches!(
                store.insert(record("one"), 10).unwrap(),
                Insert::Done(_)
            ));
            assert!(matches!(
                store.insert(record("one"), 10).unwrap(),
                Insert::NameExists
            ));
            store
                .update("id-one", |r| {
                    r.name = "two".into();
                    Ok(())
                })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert!(store.get("000000000000", "us-east-1", "one").is_none());
        let rec = store.get("000000000000", "us-east-1", "two").unwrap();
        assert_eq!(rec.tags.get("a").map(String::as_str), Some("b"));
        assert!(store.get("000000000000", "eu-west-1", "two").is_none());
    }

    #[test]
    fn insert_respects_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("m.db")).unwrap();
        assert!(matches!(
            store.insert(record("a"), 1).unwrap(),
            Insert::Done(_)
        ));
        assert!(matches!(
            store.insert(record("b"), 1).unwrap(),
            Insert::LimitExceeded
        ));
    }
}
