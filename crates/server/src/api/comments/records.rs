//! The comment tables (schema migration 5): groups, comments and reactions, rows in and out.
//! Every function takes the connection it runs on, so writes compose into one `Store::write`
//! transaction and reads run on a `Store::read` snapshot.

use crate::error::{ApiError, ApiResult};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::HashMap;

/// Which version of a file a line comment is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    Before,
    After,
}

impl Version {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Version::Before => "BEFORE",
            Version::After => "AFTER",
        }
    }
}

/// Where a comment is: a file, optionally a line of it in one version of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    /// Canonical repository path (`a/b.txt`).
    pub path: String,
    pub position: Option<i64>,
    /// As the request gave it (`None`: not given, read as AFTER).
    pub version: Option<Version>,
}

/// The identity of a group: what GetCommentsFor… answer one element for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupKey {
    pub repository_id: String,
    pub pull_request_key: Option<i64>,
    /// `None`: the after commit compared with nothing (an initial commit).
    pub before: Option<String>,
    pub after: String,
    /// `None`: a general comment on the comparison.
    pub place: Option<Place>,
}

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupRow {
    pub key: i64,
    pub id: GroupKey,
    pub before_blob: Option<String>,
    pub after_blob: Option<String>,
}

/// A comment as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommentRow {
    pub key: i64,
    pub comment_id: String,
    pub group_key: i64,
    pub in_reply_to: Option<String>,
    /// `None` once deleted.
    pub content: Option<String>,
    pub deleted: bool,
    pub author_arn: String,
    pub client_request_token: Option<String>,
    /// What the posting request asked for (and which operation), to tell a retry from a
    /// different request with the same `clientRequestToken`.
    pub request_digest: Option<String>,
    pub creation_date: f64,
    pub last_modified_date: f64,
}

fn place_columns(p: &Option<Place>) -> (&str, i64, &str) {
    match p {
        None => ("", 0, ""),
        Some(p) => (
            p.path.as_str(),
            p.position.unwrap_or(0),
            p.version.map(Version::as_str).unwrap_or(""),
        ),
    }
}

fn group_from_row(row: &Row<'_>) -> rusqlite::Result<GroupRow> {
    let before: String = row.get(3)?;
    let path: String = row.get(5)?;
    let position: i64 = row.get(6)?;
    let version: String = row.get(7)?;
    Ok(GroupRow {
        key: row.get(0)?,
        id: GroupKey {
            repository_id: row.get(1)?,
            pull_request_key: row.get(2)?,
            before: (!before.is_empty()).then_some(before),
            after: row.get(4)?,
            place: (!path.is_empty()).then(|| Place {
                path,
                position: (position != 0).then_some(position),
                version: match version.as_str() {
                    "BEFORE" => Some(Version::Before),
                    "AFTER" => Some(Version::After),
                    _ => None,
                },
            }),
        },
        before_blob: row.get(8)?,
        after_blob: row.get(9)?,
    })
}

const GROUP_COLUMNS: &str = "key, repository_id, pull_request_key, before_commit_id, after_commit_id, \
     file_path, file_position, relative_file_version, before_blob_id, after_blob_id";

pub(crate) fn group(conn: &Connection, key: i64) -> ApiResult<Option<GroupRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM comment_groups WHERE key = ?1"
        ))?
        .query_row(params![key], group_from_row)
        .optional()?)
}

/// The group with this identity, made (with its blob ids) if it does not exist yet.
pub(crate) fn group_for(
    conn: &Connection,
    id: &GroupKey,
    before_blob: Option<&str>,
    after_blob: Option<&str>,
) -> ApiResult<GroupRow> {
    let (path, position, version) = place_columns(&id.place);
    let before = id.before.as_deref().unwrap_or("");
    let found = conn
        .prepare_cached(&format!(
            "SELECT {GROUP_COLUMNS} FROM comment_groups
             WHERE repository_id = ?1 AND IFNULL(pull_request_key, 0) = IFNULL(?2, 0)
               AND after_commit_id = ?3 AND before_commit_id = ?4 AND file_path = ?5
               AND file_position = ?6 AND relative_file_version = ?7"
        ))?
        .query_row(
            params![
                id.repository_id,
                id.pull_request_key,
                id.after,
                before,
                path,
                position,
                version
            ],
            group_from_row,
        )
        .optional()?;
    if let Some(g) = found {
        return Ok(g);
    }
    // The repository may have been deleted since the request found it (writes are
    // serialized, so this check is final).
    let exists = conn
        .prepare_cached("SELECT 1 FROM repositories WHERE id = ?1")?
        .exists(params![id.repository_id])?;
    if !exists {
        return Err(crate::err!(
            RepositoryDoesNotExist,
            "The repository was deleted while the comment was being posted."
        ));
    }
    conn.prepare_cached(
        "INSERT INTO comment_groups (repository_id, pull_request_key, before_commit_id,
             after_commit_id, file_path, file_position, relative_file_version, before_blob_id,
             after_blob_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id.repository_id,
        id.pull_request_key,
        before,
        id.after,
        path,
        position,
        version,
        before_blob,
        after_blob
    ])?;
    Ok(GroupRow {
        key: conn.last_insert_rowid(),
        id: id.clone(),
        before_blob: before_blob.map(str::to_owned),
        after_blob: after_blob.map(str::to_owned),
    })
}

const COMMENT_COLUMNS: &str = "key, comment_id, group_key, in_reply_to, content, deleted, author_arn, \
     client_request_token, request_digest, creation_date, last_modified_date";

fn comment_from_row(row: &Row<'_>) -> rusqlite::Result<CommentRow> {
    Ok(CommentRow {
        key: row.get(0)?,
        comment_id: row.get(1)?,
        group_key: row.get(2)?,
        in_reply_to: row.get(3)?,
        content: row.get(4)?,
        deleted: row.get(5)?,
        author_arn: row.get(6)?,
        client_request_token: row.get(7)?,
        request_digest: row.get(8)?,
        creation_date: row.get(9)?,
        last_modified_date: row.get(10)?,
    })
}

/// A comment by its public id in an account and region.
pub(crate) fn by_id(
    conn: &Connection,
    account: &str,
    region: &str,
    comment_id: &str,
) -> ApiResult<Option<CommentRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COMMENT_COLUMNS} FROM comments
             WHERE account = ?1 AND region = ?2 AND comment_id = ?3"
        ))?
        .query_row(params![account, region, comment_id], comment_from_row)
        .optional()?)
}

/// The comment an earlier post with this `clientRequestToken` made.
pub(crate) fn by_token(
    conn: &Connection,
    account: &str,
    region: &str,
    token: &str,
) -> ApiResult<Option<CommentRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COMMENT_COLUMNS} FROM comments
             WHERE account = ?1 AND region = ?2 AND client_request_token = ?3"
        ))?
        .query_row(params![account, region, token], comment_from_row)
        .optional()?)
}

/// Stores a new comment in `group`; assigns `key`.
pub(crate) fn insert(
    conn: &Connection,
    account: &str,
    region: &str,
    group: &GroupRow,
    c: &mut CommentRow,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO comments (account, region, comment_id, group_key, repository_id,
             pull_request_key, before_commit_id, after_commit_id, in_reply_to, content, deleted,
             author_arn, client_request_token, request_digest, creation_date, last_modified_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        account,
        region,
        c.comment_id,
        group.key,
        group.id.repository_id,
        group.id.pull_request_key,
        group.id.before.as_deref().unwrap_or(""),
        group.id.after,
        c.in_reply_to,
        c.content,
        c.deleted,
        c.author_arn,
        c.client_request_token,
        c.request_digest,
        c.creation_date,
        c.last_modified_date
    ])?;
    c.key = conn.last_insert_rowid();
    Ok(())
}

/// Writes back what edits change: content, the deleted flag, lastModifiedDate.
pub(crate) fn save(conn: &Connection, c: &CommentRow) -> ApiResult<()> {
    conn.prepare_cached(
        "UPDATE comments SET content = ?2, deleted = ?3, last_modified_date = ?4 WHERE key = ?1",
    )?
    .execute(params![c.key, c.content, c.deleted, c.last_modified_date])?;
    Ok(())
}

/// The position of a comment in the listings' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cursor {
    pub group_key: i64,
    pub key: i64,
}

impl Cursor {
    pub(crate) const START: Cursor = Cursor {
        group_key: 0,
        key: 0,
    };

    pub(crate) fn token(&self) -> String {
        format!("{}:{}", self.group_key, self.key)
    }

    pub(crate) fn parse(s: &str) -> Option<Cursor> {
        let (g, k) = s.split_once(':')?;
        Some(Cursor {
            group_key: g.parse().ok()?,
            key: k.parse().ok()?,
        })
    }
}

/// What a listing selects.
pub(crate) enum Listing<'a> {
    PullRequest {
        key: i64,
        /// (before, after) of the all-or-nothing filter.
        commits: Option<(&'a str, &'a str)>,
    },
    Compared {
        repository_id: &'a str,
        after: &'a str,
        /// `None`: any before commit.
        before: Option<&'a str>,
    },
}

/// One page of comments after `after`, in listing order, at most `limit`. Each listing has
/// its own index, so a page costs its size, not the number of comments before it.
pub(crate) fn page(
    conn: &Connection,
    listing: &Listing<'_>,
    after: Cursor,
    limit: usize,
) -> ApiResult<Vec<CommentRow>> {
    let (g, k, n) = (after.group_key, after.key, limit as i64);
    let collect = |stmt: &mut rusqlite::CachedStatement<'_>, args: &[&dyn rusqlite::ToSql]| {
        let rows = stmt.query_map(args, comment_from_row)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(ApiError::from)
    };
    match listing {
        Listing::PullRequest { key, commits: None } => collect(
            &mut conn.prepare_cached(&format!(
                "SELECT {COMMENT_COLUMNS} FROM comments INDEXED BY comments_by_pull_request
                 WHERE pull_request_key = ?1 AND pull_request_key IS NOT NULL
                   AND (group_key, key) > (?2, ?3)
                 ORDER BY group_key, key LIMIT ?4"
            ))?,
            params![key, g, k, n],
        ),
        Listing::PullRequest {
            key,
            commits: Some((before, after_commit)),
        } => collect(
            &mut conn.prepare_cached(&format!(
                "SELECT {COMMENT_COLUMNS} FROM comments INDEXED BY comments_by_pull_request_commits
                 WHERE pull_request_key = ?1 AND pull_request_key IS NOT NULL
                   AND before_commit_id = ?5 AND after_commit_id = ?6
                   AND (group_key, key) > (?2, ?3)
                 ORDER BY group_key, key LIMIT ?4"
            ))?,
            params![key, g, k, n, before, after_commit],
        ),
        Listing::Compared {
            repository_id,
            after: after_commit,
            before,
        } => collect(
            &mut conn.prepare_cached(&format!(
                "SELECT {COMMENT_COLUMNS} FROM comments INDEXED BY comments_by_compared_commit
                 WHERE repository_id = ?1 AND after_commit_id = ?5 AND pull_request_key IS NULL
                   AND (?6 IS NULL OR before_commit_id = ?6)
                   AND (group_key, key) > (?2, ?3)
                 ORDER BY group_key, key LIMIT ?4"
            ))?,
            params![repository_id, g, k, n, after_commit, before],
        ),
    }
}

/// The reaction of every user to a comment: (user ARN, reaction key), oldest first.
pub(crate) fn reactions(conn: &Connection, comment_key: i64) -> ApiResult<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_arn, reaction FROM comment_reactions WHERE comment_key = ?1
         ORDER BY reaction_date, user_arn",
    )?;
    let rows = stmt.query_map(params![comment_key], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

/// The reactions of some comments as a comment shows them: per comment, the number of
/// users per reaction key and the key `user_arn` chose (if any). One statement for a whole
/// page of comments.
pub(crate) fn reaction_summaries(
    conn: &Connection,
    comment_keys: &[i64],
    user_arn: &str,
) -> ApiResult<HashMap<i64, Summary>> {
    let mut out: HashMap<i64, Summary> = HashMap::new();
    // SQLite's default limit on host parameters is 32,766; pages are at most 500.
    for chunk in comment_keys.chunks(1000) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT comment_key, reaction, COUNT(*), MAX(user_arn = ?1) FROM comment_reactions
             WHERE comment_key IN ({marks}) GROUP BY comment_key, reaction"
        ))?;
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() + 1);
        args.push(&user_arn);
        for k in chunk {
            args.push(k);
        }
        let rows = stmt.query_map(args.as_slice(), |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, bool>(3)?,
            ))
        })?;
        for r in rows {
            let (key, reaction, n, mine) = r?;
            let s = out.entry(key).or_default();
            if mine {
                s.mine = Some(reaction.clone());
            }
            s.counts.insert(reaction, n as i32);
        }
    }
    Ok(out)
}

/// A comment's reactions as its `reactionCounts` and `callerReactions` show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub counts: std::collections::BTreeMap<String, i32>,
    pub mine: Option<String>,
}

/// A user's reaction to a comment, if any.
pub(crate) fn reaction_of(
    conn: &Connection,
    comment_key: i64,
    user_arn: &str,
) -> ApiResult<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT reaction FROM comment_reactions WHERE comment_key = ?1 AND user_arn = ?2",
        )?
        .query_row(params![comment_key, user_arn], |row| row.get(0))
        .optional()?)
}

/// Sets (or with `None` removes) a user's one reaction to a comment.
pub(crate) fn set_reaction(
    conn: &Connection,
    comment_key: i64,
    user_arn: &str,
    reaction: Option<&str>,
    date: f64,
) -> ApiResult<()> {
    match reaction {
        Some(r) => conn
            .prepare_cached(
                "INSERT INTO comment_reactions (comment_key, user_arn, reaction, reaction_date)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (comment_key, user_arn) DO UPDATE
                     SET reaction = excluded.reaction, reaction_date = excluded.reaction_date",
            )?
            .execute(params![comment_key, user_arn, r, date])?,
        None => conn
            .prepare_cached(
                "DELETE FROM comment_reactions WHERE comment_key = ?1 AND user_arn = ?2",
            )?
            .execute(params![comment_key, user_arn])?,
    };
    Ok(())
}

/// The public id of a pull request by its key.
pub(crate) fn pull_request_number(conn: &Connection, key: i64) -> ApiResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT number FROM pull_requests WHERE key = ?1")?
        .query_row(params![key], |row| row.get(0))
        .optional()?)
}

/// Every commit a pull request's revisions recorded (sources, destinations, merge bases).
pub(crate) fn revision_commits(conn: &Connection, key: i64) -> ApiResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT source_commit, destination_commit, merge_base FROM pull_request_revisions
         WHERE pull_request_key = ?1",
    )?;
    let rows = stmt.query_map(params![key], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (s, d, b) = r?;
        out.push(s);
        out.push(d);
        out.extend(b);
    }
    Ok(out)
}
