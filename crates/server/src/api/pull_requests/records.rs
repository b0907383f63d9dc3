//! The pull-request tables (schema migration 3): rows in and out. Every function takes the
//! connection it runs on, so writes compose into one `Store::write` transaction and reads run
//! on a `Store::read` snapshot.

use crate::error::{ApiError, ApiResult};
use codecommit_model::shapes::PullRequestEventType;
use rusqlite::{Connection, OptionalExtension, Row, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Open,
    Closed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Closed => "CLOSED",
        }
    }

    fn parse(s: &str) -> Status {
        if s == "OPEN" {
            Status::Open
        } else {
            Status::Closed
        }
    }
}

/// How a target was merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Merged {
    pub by: String,
    /// The squash or merge commit; `None` for a fast-forward.
    pub commit: Option<String>,
    /// `FAST_FORWARD_MERGE`, `SQUASH_MERGE` or `THREE_WAY_MERGE`.
    pub option: String,
}

/// One target of a pull request (CreatePullRequest allows exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetRow {
    pub position: i64,
    pub repository_id: String,
    /// Full ref names: `refs/heads/feature`.
    pub source_ref: String,
    pub destination_ref: String,
    pub source_commit: String,
    pub destination_commit: String,
    pub merge_base: Option<String>,
    pub merged: Option<Merged>,
}

/// A pull request as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PullRequestRow {
    /// Internal key every review table references.
    pub key: i64,
    pub account: String,
    pub region: String,
    /// The public `pullRequestId`.
    pub number: i64,
    pub repository_id: String,
    pub title: String,
    pub description: Option<String>,
    pub status: Status,
    pub author_arn: String,
    pub client_request_token: Option<String>,
    /// What the creating request asked for, to tell a retry from a different request with the
    /// same `clientRequestToken`.
    pub request_digest: Option<String>,
    pub revision_id: String,
    pub creation_date: f64,
    pub last_activity_date: f64,
    pub targets: Vec<TargetRow>,
}

impl PullRequestRow {
    pub(crate) fn id(&self) -> String {
        self.number.to_string()
    }
}

const COLUMNS: &str = "key, account, region, number, repository_id, title, description, status, \
     author_arn, client_request_token, request_digest, revision_id, creation_date, last_activity_date";

fn from_row(row: &Row<'_>) -> rusqlite::Result<PullRequestRow> {
    Ok(PullRequestRow {
        key: row.get(0)?,
        account: row.get(1)?,
        region: row.get(2)?,
        number: row.get(3)?,
        repository_id: row.get(4)?,
        title: row.get(5)?,
        description: row.get(6)?,
        status: Status::parse(&row.get::<_, String>(7)?),
        author_arn: row.get(8)?,
        client_request_token: row.get(9)?,
        request_digest: row.get(10)?,
        revision_id: row.get(11)?,
        creation_date: row.get(12)?,
        last_activity_date: row.get(13)?,
        targets: Vec::new(),
    })
}

fn with_targets(
    conn: &Connection,
    pr: Option<PullRequestRow>,
) -> ApiResult<Option<PullRequestRow>> {
    let Some(mut pr) = pr else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT position, repository_id, source_ref, destination_ref, source_commit,
                destination_commit, merge_base, is_merged, merged_by, merge_commit_id, merge_option
         FROM pull_request_targets WHERE pull_request_key = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![pr.key], |row| {
        let merged: bool = row.get(7)?;
        Ok(TargetRow {
            position: row.get(0)?,
            repository_id: row.get(1)?,
            source_ref: row.get(2)?,
            destination_ref: row.get(3)?,
            source_commit: row.get(4)?,
            destination_commit: row.get(5)?,
            merge_base: row.get(6)?,
            merged: if merged {
                Some(Merged {
                    by: row.get::<_, Option<String>>(8)?.unwrap_or_default(),
                    commit: row.get(9)?,
                    option: row.get::<_, Option<String>>(10)?.unwrap_or_default(),
                })
            } else {
                None
            },
        })
    })?;
    for t in rows {
        pr.targets.push(t?);
    }
    Ok(Some(pr))
}

/// A pull request by its public id in an account and region.
pub(crate) fn by_number(
    conn: &Connection,
    account: &str,
    region: &str,
    number: i64,
) -> ApiResult<Option<PullRequestRow>> {
    let pr = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM pull_requests WHERE account = ?1 AND region = ?2 AND number = ?3"
        ))?
        .query_row(params![account, region, number], from_row)
        .optional()?;
    with_targets(conn, pr)
}

pub(crate) fn by_key(conn: &Connection, key: i64) -> ApiResult<Option<PullRequestRow>> {
    let pr = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM pull_requests WHERE key = ?1"
        ))?
        .query_row(params![key], from_row)
        .optional()?;
    with_targets(conn, pr)
}

/// The pull request an earlier CreatePullRequest with this token made.
pub(crate) fn by_token(
    conn: &Connection,
    account: &str,
    region: &str,
    token: &str,
) -> ApiResult<Option<PullRequestRow>> {
    let pr = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM pull_requests
             WHERE account = ?1 AND region = ?2 AND client_request_token = ?3"
        ))?
        .query_row(params![account, region, token], from_row)
        .optional()?;
    with_targets(conn, pr)
}

/// Stores a new pull request and its targets; assigns `key` and `number` (the next id of the
/// account and region: ids are never reused, even after the repository is deleted).
pub(crate) fn insert(conn: &Connection, pr: &mut PullRequestRow) -> ApiResult<()> {
    pr.number = conn
        .prepare_cached(
            "INSERT INTO pull_request_counters (account, region, last_number) VALUES (?1, ?2, 1)
             ON CONFLICT (account, region) DO UPDATE SET last_number = last_number + 1
             RETURNING last_number",
        )?
        .query_row(params![pr.account, pr.region], |row| row.get(0))?;
    conn.prepare_cached(
        "INSERT INTO pull_requests (account, region, number, repository_id, title, description,
             status, author_arn, client_request_token, request_digest, revision_id, creation_date,
             last_activity_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        pr.account,
        pr.region,
        pr.number,
        pr.repository_id,
        pr.title,
        pr.description,
        pr.status.as_str(),
        pr.author_arn,
        pr.client_request_token,
        pr.request_digest,
        pr.revision_id,
        pr.creation_date,
        pr.last_activity_date
    ])?;
    pr.key = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached(
        "INSERT INTO pull_request_targets (pull_request_key, position, repository_id, source_ref,
             destination_ref, source_commit, destination_commit, merge_base, open)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for t in &pr.targets {
        stmt.execute(params![
            pr.key,
            t.position,
            t.repository_id,
            t.source_ref,
            t.destination_ref,
            t.source_commit,
            t.destination_commit,
            t.merge_base,
            pr.status == Status::Open
        ])?;
    }
    Ok(())
}

/// Writes back everything that can change: title, description, status, revision, activity and
/// the targets' commits and merge state.
pub(crate) fn save(conn: &Connection, pr: &PullRequestRow) -> ApiResult<()> {
    conn.prepare_cached(
        "UPDATE pull_requests SET title = ?2, description = ?3, status = ?4, revision_id = ?5,
             last_activity_date = ?6
         WHERE key = ?1",
    )?
    .execute(params![
        pr.key,
        pr.title,
        pr.description,
        pr.status.as_str(),
        pr.revision_id,
        pr.last_activity_date
    ])?;
    let mut stmt = conn.prepare_cached(
        "UPDATE pull_request_targets SET source_commit = ?3, destination_commit = ?4,
             merge_base = ?5, open = ?6, is_merged = ?7, merged_by = ?8, merge_commit_id = ?9,
             merge_option = ?10
         WHERE pull_request_key = ?1 AND position = ?2",
    )?;
    for t in &pr.targets {
        stmt.execute(params![
            pr.key,
            t.position,
            t.source_commit,
            t.destination_commit,
            t.merge_base,
            pr.status == Status::Open,
            t.merged.is_some(),
            t.merged.as_ref().map(|m| m.by.as_str()),
            t.merged.as_ref().and_then(|m| m.commit.as_deref()),
            t.merged.as_ref().map(|m| m.option.as_str())
        ])?;
    }
    Ok(())
}

/// Records a revision: the source tip (and what it was compared with) that approvals bind to.
/// Revisions of a pull request are in `rowid` order.
pub(crate) fn insert_revision(
    conn: &Connection,
    key: i64,
    revision_id: &str,
    target: &TargetRow,
    date: f64,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO pull_request_revisions (pull_request_key, revision_id, source_commit,
             destination_commit, merge_base, creation_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        key,
        revision_id,
        target.source_commit,
        target.destination_commit,
        target.merge_base,
        date
    ])?;
    Ok(())
}

/// Appends an event to a pull request's log. `metadata` is a JSON object holding the event's
/// metadata member as DescribePullRequestEvents shows it, e.g.
/// `{"pullRequestStatusChangedEventMetadata": {"pullRequestStatus": "CLOSED"}}`; any
/// `repositoryName` in it is replaced by the repository's current name when it is read.
pub(crate) fn log_event(
    conn: &Connection,
    key: i64,
    event_type: &PullRequestEventType,
    actor_arn: &str,
    date: f64,
    metadata: &serde_json::Value,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO pull_request_events (pull_request_key, event_type, actor_arn, event_date, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        key,
        event_type.as_str(),
        actor_arn,
        date,
        metadata.to_string()
    ])?;
    Ok(())
}

/// One row of the event log.
pub(crate) struct EventRow {
    pub seq: i64,
    pub event_type: String,
    pub actor_arn: String,
    pub event_date: f64,
    pub metadata: String,
}

/// Events of a pull request after `after` (a `seq`), oldest first, at most `limit`.
pub(crate) fn events(
    conn: &Connection,
    key: i64,
    event_type: Option<&str>,
    actor_arn: Option<&str>,
    after: i64,
    limit: usize,
) -> ApiResult<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, event_type, actor_arn, event_date, metadata FROM pull_request_events
         WHERE pull_request_key = ?1 AND seq > ?2
           AND (?3 IS NULL OR event_type = ?3) AND (?4 IS NULL OR actor_arn = ?4)
         ORDER BY seq LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![key, after, event_type, actor_arn, limit as i64],
        |row| {
            Ok(EventRow {
                seq: row.get(0)?,
                event_type: row.get(1)?,
                actor_arn: row.get(2)?,
                event_date: row.get(3)?,
                metadata: row.get(4)?,
            })
        },
    )?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

/// Open pull requests of a repository.
pub(crate) fn count_open(conn: &Connection, repository_id: &str) -> ApiResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM pull_requests WHERE repository_id = ?1 AND status = 'OPEN'",
        )?
        .query_row(params![repository_id], |row| row.get(0))?)
}

/// The open pull requests whose source or destination is one of `refs` (all open pull
/// requests of the repository when `refs` is `None`), with their targets, in key order: one
/// indexed query per ref and side (the partial indexes on open targets), whatever the number
/// of pull requests.
pub(crate) fn open_touching(
    conn: &Connection,
    repository_id: &str,
    refs: Option<&[&str]>,
) -> ApiResult<Vec<PullRequestRow>> {
    let pr_columns = COLUMNS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!(
        "SELECT {pr_columns}, a.position, a.repository_id, a.source_ref, a.destination_ref,
                a.source_commit, a.destination_commit, a.merge_base
         FROM pull_request_targets t
         JOIN pull_requests p ON p.key = t.pull_request_key
         JOIN pull_request_targets a ON a.pull_request_key = t.pull_request_key
         WHERE t.repository_id = ?1 AND t.open = 1"
    );
    let mut found: std::collections::BTreeMap<i64, PullRequestRow> = Default::default();
    let mut collect = |stmt: &mut rusqlite::CachedStatement<'_>,
                       params: &[&dyn rusqlite::ToSql]|
     -> ApiResult<()> {
        let mut rows = stmt.query(params)?;
        while let Some(row) = rows.next()? {
            let pr = from_row(row)?;
            let n = 14;
            let target = TargetRow {
                position: row.get(n)?,
                repository_id: row.get(n + 1)?,
                source_ref: row.get(n + 2)?,
                destination_ref: row.get(n + 3)?,
                source_commit: row.get(n + 4)?,
                destination_commit: row.get(n + 5)?,
                merge_base: row.get(n + 6)?,
                // Targets of open pull requests are not merged.
                merged: None,
            };
            let entry = found.entry(pr.key).or_insert(pr);
            if !entry.targets.iter().any(|t| t.position == target.position) {
                entry.targets.push(target);
            }
        }
        Ok(())
    };
    match refs {
        Some(refs) => {
            let mut by_source = conn.prepare_cached(&format!("{select} AND t.source_ref = ?2"))?;
            let mut by_destination =
                conn.prepare_cached(&format!("{select} AND t.destination_ref = ?2"))?;
            for r in refs {
                collect(&mut by_source, &[&repository_id, r])?;
                collect(&mut by_destination, &[&repository_id, r])?;
            }
        }
        None => {
            let mut all = conn.prepare_cached(&select)?;
            collect(&mut all, &[&repository_id])?;
        }
    }
    Ok(found
        .into_values()
        .map(|mut pr| {
            pr.targets.sort_by_key(|t| t.position);
            pr
        })
        .collect())
}

/// Repositories that have open pull requests (startup reconciliation).
pub(crate) fn repositories_with_open(conn: &Connection) -> ApiResult<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT DISTINCT repository_id FROM pull_request_targets WHERE open = 1")?;
    let rows = stmt.query_map([], |row| row.get(0))?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

/// The position in ListPullRequests' order (most recent activity first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ActivityKey {
    pub last_activity_date: f64,
    pub key: i64,
}

/// One page of a repository's pull requests, most recent activity first, after `after`.
/// Answers (public id, position) pairs.
pub(crate) fn list(
    conn: &Connection,
    repository_id: &str,
    status: Option<Status>,
    author_arn: Option<&str>,
    after: Option<ActivityKey>,
    limit: usize,
) -> ApiResult<Vec<(i64, ActivityKey)>> {
    // One statement per filter shape so each uses its own index (an unused filter is bound as
    // NULL and named only in a constant test).
    let filter = match (status.is_some(), author_arn.is_some()) {
        (false, false) => "AND ?2 IS NULL AND ?3 IS NULL",
        (true, false) => "AND status = ?2 AND ?3 IS NULL",
        (false, true) => "AND author_arn = ?3 AND ?2 IS NULL",
        (true, true) => "AND author_arn = ?3 AND status = ?2",
    };
    let sql = format!(
        "SELECT number, last_activity_date, key FROM pull_requests
         WHERE repository_id = ?1 {filter}
           AND (?4 IS NULL OR last_activity_date < ?4 OR (last_activity_date = ?4 AND key < ?5))
         ORDER BY last_activity_date DESC, key DESC LIMIT ?6"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            repository_id,
            status.map(Status::as_str),
            author_arn,
            after.map(|a| a.last_activity_date),
            after.map(|a| a.key),
            limit as i64
        ],
        |row| {
            Ok((
                row.get(0)?,
                ActivityKey {
                    last_activity_date: row.get(1)?,
                    key: row.get(2)?,
                },
            ))
        },
    )?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}
