//! The approval tables (schema migration 4): rows in and out. Every function takes the
//! connection it runs on, so writes compose into one `Store::write` transaction and reads run
//! on a `Store::read` snapshot.

use crate::error::{ApiError, ApiResult};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// An approval rule of a pull request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleRow {
    pub seq: i64,
    pub pull_request_key: i64,
    pub id: String,
    pub name: String,
    pub content: String,
    pub content_sha256: String,
    pub requirements: String,
    pub creation_date: f64,
    pub last_modified_date: f64,
    pub last_modified_user: String,
    /// Who created the rule (EventBridge names them as the author of a deleted rule).
    pub author_arn: String,
    /// The template it was made from: (id, name) as they were then.
    pub origin: Option<(String, String)>,
}

const RULE_COLUMNS: &str = "seq, pull_request_key, id, name, content, content_sha256, requirements, \
     creation_date, last_modified_date, last_modified_user, author_arn, origin_template_id, \
     origin_template_name";

fn rule_from_row(row: &Row<'_>) -> rusqlite::Result<RuleRow> {
    let origin_id: Option<String> = row.get(11)?;
    let origin_name: Option<String> = row.get(12)?;
    Ok(RuleRow {
        seq: row.get(0)?,
        pull_request_key: row.get(1)?,
        id: row.get(2)?,
        name: row.get(3)?,
        content: row.get(4)?,
        content_sha256: row.get(5)?,
        requirements: row.get(6)?,
        creation_date: row.get(7)?,
        last_modified_date: row.get(8)?,
        last_modified_user: row.get(9)?,
        author_arn: row.get(10)?,
        origin: origin_id.zip(origin_name),
    })
}

/// A pull request's rules in the order they were made.
pub(crate) fn rules(conn: &Connection, key: i64) -> ApiResult<Vec<RuleRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RULE_COLUMNS} FROM pull_request_approval_rules WHERE pull_request_key = ?1 ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params![key], rule_from_row)?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

/// Only what evaluation needs: (name, requirements), in order.
pub(crate) fn requirements(conn: &Connection, key: i64) -> ApiResult<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, requirements FROM pull_request_approval_rules
         WHERE pull_request_key = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![key], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

pub(crate) fn rule_by_name(conn: &Connection, key: i64, name: &str) -> ApiResult<Option<RuleRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM pull_request_approval_rules
             WHERE pull_request_key = ?1 AND name = ?2"
        ))?
        .query_row(params![key, name], rule_from_row)
        .optional()?)
}

pub(crate) fn count_rules(conn: &Connection, key: i64) -> ApiResult<usize> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM pull_request_approval_rules WHERE pull_request_key = ?1",
        )?
        .query_row(params![key], |row| row.get(0))?;
    Ok(n as usize)
}

pub(crate) fn insert_rule(conn: &Connection, r: &mut RuleRow) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO pull_request_approval_rules (pull_request_key, id, name, content,
             content_sha256, requirements, creation_date, last_modified_date, last_modified_user,
             author_arn, origin_template_id, origin_template_name)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        r.pull_request_key,
        r.id,
        r.name,
        r.content,
        r.content_sha256,
        r.requirements,
        r.creation_date,
        r.last_modified_date,
        r.last_modified_user,
        r.author_arn,
        r.origin.as_ref().map(|o| o.0.as_str()),
        r.origin.as_ref().map(|o| o.1.as_str()),
    ])?;
    r.seq = conn.last_insert_rowid();
    Ok(())
}

pub(crate) fn update_rule_content(conn: &Connection, r: &RuleRow) -> ApiResult<()> {
    conn.prepare_cached(
        "UPDATE pull_request_approval_rules SET content = ?2, content_sha256 = ?3,
             requirements = ?4, last_modified_date = ?5, last_modified_user = ?6
         WHERE seq = ?1",
    )?
    .execute(params![
        r.seq,
        r.content,
        r.content_sha256,
        r.requirements,
        r.last_modified_date,
        r.last_modified_user
    ])?;
    Ok(())
}

pub(crate) fn delete_rule(conn: &Connection, seq: i64) -> ApiResult<()> {
    conn.prepare_cached("DELETE FROM pull_request_approval_rules WHERE seq = ?1")?
        .execute(params![seq])?;
    Ok(())
}

/// Whether `revision_id` is one of the pull request's revisions.
pub(crate) fn has_revision(conn: &Connection, key: i64, revision_id: &str) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM pull_request_revisions WHERE pull_request_key = ?1 AND revision_id = ?2",
        )?
        .query_row(params![key, revision_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The approvers of a revision, in the order they approved.
pub(crate) fn approvers(conn: &Connection, key: i64, revision_id: &str) -> ApiResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_arn FROM pull_request_approvals
         WHERE pull_request_key = ?1 AND revision_id = ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![key, revision_id], |row| row.get(0))?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

pub(crate) fn has_approved(
    conn: &Connection,
    key: i64,
    revision_id: &str,
    user_arn: &str,
) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM pull_request_approvals
             WHERE pull_request_key = ?1 AND revision_id = ?2 AND user_arn = ?3",
        )?
        .query_row(params![key, revision_id, user_arn], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn count_approvals(conn: &Connection, key: i64, revision_id: &str) -> ApiResult<usize> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM pull_request_approvals WHERE pull_request_key = ?1 AND revision_id = ?2",
        )?
        .query_row(params![key, revision_id], |row| row.get(0))?;
    Ok(n as usize)
}

pub(crate) fn insert_approval(
    conn: &Connection,
    key: i64,
    revision_id: &str,
    user_arn: &str,
    date: f64,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO pull_request_approvals (pull_request_key, revision_id, user_arn, approval_date)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key, revision_id, user_arn, date])?;
    Ok(())
}

pub(crate) fn delete_approval(
    conn: &Connection,
    key: i64,
    revision_id: &str,
    user_arn: &str,
) -> ApiResult<()> {
    conn.prepare_cached(
        "DELETE FROM pull_request_approvals
         WHERE pull_request_key = ?1 AND revision_id = ?2 AND user_arn = ?3",
    )?
    .execute(params![key, revision_id, user_arn])?;
    Ok(())
}

/// Who overrode the rules of a revision, if anyone did.
pub(crate) fn overrider(
    conn: &Connection,
    key: i64,
    revision_id: &str,
) -> ApiResult<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT overrider_arn FROM pull_request_overrides
             WHERE pull_request_key = ?1 AND revision_id = ?2",
        )?
        .query_row(params![key, revision_id], |row| row.get(0))
        .optional()?)
}

pub(crate) fn set_override(
    conn: &Connection,
    key: i64,
    revision_id: &str,
    overrider_arn: &str,
    date: f64,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO pull_request_overrides (pull_request_key, revision_id, overrider_arn, override_date)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![key, revision_id, overrider_arn, date])?;
    Ok(())
}

pub(crate) fn delete_override(conn: &Connection, key: i64, revision_id: &str) -> ApiResult<()> {
    conn.prepare_cached(
        "DELETE FROM pull_request_overrides WHERE pull_request_key = ?1 AND revision_id = ?2",
    )?
    .execute(params![key, revision_id])?;
    Ok(())
}

/// An approval rule template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateRow {
    pub seq: i64,
    pub id: String,
    pub account: String,
    pub region: String,
    pub name: String,
    pub description: Option<String>,
    pub content: String,
    pub content_sha256: String,
    pub requirements: String,
    pub destinations: Option<String>,
    pub creation_date: f64,
    pub last_modified_date: f64,
    pub last_modified_user: String,
}

const TEMPLATE_COLUMNS: &str = "t.seq, t.id, t.account, t.region, t.name, t.description, t.content, \
     t.content_sha256, t.requirements, t.destinations, t.creation_date, t.last_modified_date, \
     t.last_modified_user";

fn template_from_row(row: &Row<'_>) -> rusqlite::Result<TemplateRow> {
    Ok(TemplateRow {
        seq: row.get(0)?,
        id: row.get(1)?,
        account: row.get(2)?,
        region: row.get(3)?,
        name: row.get(4)?,
        description: row.get(5)?,
        content: row.get(6)?,
        content_sha256: row.get(7)?,
        requirements: row.get(8)?,
        destinations: row.get(9)?,
        creation_date: row.get(10)?,
        last_modified_date: row.get(11)?,
        last_modified_user: row.get(12)?,
    })
}

pub(crate) fn template_by_name(
    conn: &Connection,
    account: &str,
    region: &str,
    name: &str,
) -> ApiResult<Option<TemplateRow>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM approval_rule_templates t
             WHERE t.account = ?1 AND t.region = ?2 AND t.name = ?3"
        ))?
        .query_row(params![account, region, name], template_from_row)
        .optional()?)
}

pub(crate) fn count_templates(conn: &Connection, account: &str, region: &str) -> ApiResult<usize> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM approval_rule_templates WHERE account = ?1 AND region = ?2",
        )?
        .query_row(params![account, region], |row| row.get(0))?;
    Ok(n as usize)
}

pub(crate) fn insert_template(conn: &Connection, t: &mut TemplateRow) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO approval_rule_templates (id, account, region, name, description, content,
             content_sha256, requirements, destinations, creation_date, last_modified_date,
             last_modified_user)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        t.id,
        t.account,
        t.region,
        t.name,
        t.description,
        t.content,
        t.content_sha256,
        t.requirements,
        t.destinations,
        t.creation_date,
        t.last_modified_date,
        t.last_modified_user
    ])?;
    t.seq = conn.last_insert_rowid();
    Ok(())
}

/// Writes back everything a template update can change.
pub(crate) fn save_template(conn: &Connection, t: &TemplateRow) -> ApiResult<()> {
    conn.prepare_cached(
        "UPDATE approval_rule_templates SET name = ?2, description = ?3, content = ?4,
             content_sha256 = ?5, requirements = ?6, destinations = ?7, last_modified_date = ?8,
             last_modified_user = ?9
         WHERE seq = ?1",
    )?
    .execute(params![
        t.seq,
        t.name,
        t.description,
        t.content,
        t.content_sha256,
        t.requirements,
        t.destinations,
        t.last_modified_date,
        t.last_modified_user
    ])?;
    Ok(())
}

pub(crate) fn delete_template(conn: &Connection, seq: i64) -> ApiResult<()> {
    conn.prepare_cached("DELETE FROM approval_rule_templates WHERE seq = ?1")?
        .execute(params![seq])?;
    Ok(())
}

/// Template names of a scope in creation order, after `after` (a `seq`), at most `limit`.
pub(crate) fn template_names(
    conn: &Connection,
    account: &str,
    region: &str,
    after: i64,
    limit: usize,
) -> ApiResult<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, name FROM approval_rule_templates
         WHERE account = ?1 AND region = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![account, region, after, limit as i64], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

pub(crate) fn is_associated(
    conn: &Connection,
    template_seq: i64,
    repository_id: &str,
) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM approval_rule_template_associations
             WHERE template_seq = ?1 AND repository_id = ?2",
        )?
        .query_row(params![template_seq, repository_id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn count_associated(conn: &Connection, repository_id: &str) -> ApiResult<usize> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM approval_rule_template_associations WHERE repository_id = ?1",
        )?
        .query_row(params![repository_id], |row| row.get(0))?;
    Ok(n as usize)
}

pub(crate) fn has_associations(conn: &Connection, template_seq: i64) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM approval_rule_template_associations WHERE template_seq = ?1 LIMIT 1",
        )?
        .query_row(params![template_seq], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn associate(
    conn: &Connection,
    template_seq: i64,
    repository_id: &str,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO approval_rule_template_associations (template_seq, repository_id) VALUES (?1, ?2)",
    )?
    .execute(params![template_seq, repository_id])?;
    Ok(())
}

pub(crate) fn disassociate(
    conn: &Connection,
    template_seq: i64,
    repository_id: &str,
) -> ApiResult<()> {
    conn.prepare_cached(
        "DELETE FROM approval_rule_template_associations WHERE template_seq = ?1 AND repository_id = ?2",
    )?
    .execute(params![template_seq, repository_id])?;
    Ok(())
}

/// The templates associated with a repository, in association order.
pub(crate) fn templates_of(conn: &Connection, repository_id: &str) -> ApiResult<Vec<TemplateRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM approval_rule_template_associations a
         JOIN approval_rule_templates t ON t.seq = a.template_seq
         WHERE a.repository_id = ?1 ORDER BY a.seq"
    ))?;
    let rows = stmt.query_map(params![repository_id], template_from_row)?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

/// Names of the templates associated with a repository, in association order, after `after`
/// (an association `seq`).
pub(crate) fn template_names_of(
    conn: &Connection,
    repository_id: &str,
    after: i64,
    limit: usize,
) -> ApiResult<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.seq, t.name FROM approval_rule_template_associations a
         JOIN approval_rule_templates t ON t.seq = a.template_seq
         WHERE a.repository_id = ?1 AND a.seq > ?2 ORDER BY a.seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![repository_id, after, limit as i64], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

/// Repository ids associated with a template, in association order, after `after`.
pub(crate) fn repositories_of(
    conn: &Connection,
    template_seq: i64,
    after: i64,
    limit: usize,
) -> ApiResult<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, repository_id FROM approval_rule_template_associations
         WHERE template_seq = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![template_seq, after, limit as i64], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    rows.collect::<Result<_, _>>().map_err(ApiError::from)
}

/// The stored evaluation of a revision: (satisfied, not satisfied, overridden).
pub(crate) fn stored_evaluation(
    conn: &Connection,
    key: i64,
    revision_id: &str,
) -> ApiResult<Option<(String, String, bool)>> {
    Ok(conn
        .prepare_cached(
            "SELECT satisfied, not_satisfied, overridden FROM pull_request_evaluations
             WHERE pull_request_key = ?1 AND revision_id = ?2",
        )?
        .query_row(params![key, revision_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?)
}

pub(crate) fn store_evaluation(
    conn: &Connection,
    key: i64,
    revision_id: &str,
    satisfied: &str,
    not_satisfied: &str,
    overridden: bool,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO pull_request_evaluations (pull_request_key, revision_id, satisfied,
             not_satisfied, overridden)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (pull_request_key, revision_id) DO UPDATE SET satisfied = excluded.satisfied,
             not_satisfied = excluded.not_satisfied, overridden = excluded.overridden",
    )?
    .execute(params![
        key,
        revision_id,
        satisfied,
        not_satisfied,
        overridden
    ])?;
    Ok(())
}
