//! Pull requests (codecommit-facts.md §3): create, read, list, the event log, title /
//! description / status updates, the three merges, and how open pull requests follow their
//! branches when refs move.
//!
//! * `records.rs`: the tables (schema migration 3) and their rows
//! * `create.rs`: CreatePullRequest (targets, references, idempotency, the open limit)
//! * `read.rs`: GetPullRequest, ListPullRequests, DescribePullRequestEvents
//! * `update.rs`: UpdatePullRequestTitle / Description / Status
//! * `merge.rs`: MergePullRequestByFastForward / BySquash / ByThreeWay on the merge engine
//! * `follow.rs`: the ref-move subscriber (new revisions, destination and merge base follow,
//!   merged by a fast-forward push, closed when a branch is deleted) and startup repair
//!
//! Areas that build on pull requests (approval rules, comments) find a pull request with
//! [`lookup`] / [`records::by_number`], reference `pull_requests(key)` (and
//! `pull_request_revisions (pull_request_key, revision_id)`) from their tables, add their
//! event types to the log with [`records::log_event`] (bumping activity with [`touch`]), and
//! extend the one output builder, [`view`].

mod create;
mod follow;
mod merge;
mod read;
pub(crate) mod records;
mod update;

pub use create::create_pull_request;
pub use follow::{after_ref_moves, reconcile};
pub use merge::{
    merge_pull_request_by_fast_forward, merge_pull_request_by_squash,
    merge_pull_request_by_three_way,
};
pub use read::{describe_pull_request_events, get_pull_request, list_pull_requests};
pub use update::{
    update_pull_request_description, update_pull_request_status, update_pull_request_title,
};

use super::{Ctx, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::events::{self, Event, payload::PullRequestEventKind};
use crate::state::AppState;
use codecommit_model::shapes::*;
use records::{PullRequestRow, Status, TargetRow};
use rusqlite::Connection;

/// Title and description limits: the model's (`Title` max 150, `Description` max 10240), which
/// the API Reference's parameter tables repeat. The exceptions' own documentation says 100 and
/// 1,000; we follow the model (codecommit-facts.md §1, §9).
pub const MAX_TITLE_CHARS: usize = 150;
pub const MAX_DESCRIPTION_CHARS: usize = 10240;
/// Open pull requests per repository (codecommit-facts.md §1); `Config::open_pull_request_limit`.
pub const DEFAULT_OPEN_PULL_REQUEST_LIMIT: usize = 1000;

/// A required `pullRequestId`: a positive decimal number.
pub(crate) fn pull_request_number(v: &Option<String>) -> ApiResult<i64> {
    let Some(id) = validate::present(v) else {
        bail!(
            PullRequestIdRequired,
            "A pull request ID is required, but none was provided."
        )
    };
    match id.parse::<i64>() {
        Ok(n) if n > 0 && id.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => bail!(
            InvalidPullRequestId,
            "The pull request ID is not valid: {}. Make sure that you have provided the full ID and that the pull request is in the specified repository, and then try again.",
            validate::printable(id)
        ),
    }
}

fn does_not_exist(number: i64) -> crate::error::ApiError {
    crate::err!(
        PullRequestDoesNotExist,
        "The pull request ID {number} could not be found. Make sure that you have specified the correct repository name and pull request ID, and then try again."
    )
}

/// Finds the caller's pull request on `conn` (a read snapshot or the write transaction).
pub(crate) fn find_in(ctx: &Ctx<'_>, conn: &Connection, number: i64) -> ApiResult<PullRequestRow> {
    records::by_number(conn, &ctx.account, &ctx.region, number)?
        .ok_or_else(|| does_not_exist(number))
}

/// Validates `pullRequestId` and finds the pull request in the caller's account and region.
pub(crate) fn lookup(ctx: &Ctx<'_>, id: &Option<String>) -> ApiResult<PullRequestRow> {
    let number = pull_request_number(id)?;
    ctx.state.store.read(|conn| find_in(ctx, conn, number))
}

pub(crate) fn title(v: &Option<String>) -> ApiResult<&str> {
    let Some(t) = validate::present(v) else {
        bail!(
            TitleRequired,
            "A pull request title is required. It cannot be empty or null."
        )
    };
    if t.chars().count() > MAX_TITLE_CHARS {
        bail!(
            InvalidTitle,
            "The title of the pull request is not valid. Pull request titles cannot exceed {MAX_TITLE_CHARS} characters in length."
        )
    }
    Ok(t)
}

pub(crate) fn description(v: &Option<String>) -> ApiResult<()> {
    if let Some(d) = v
        && d.chars().count() > MAX_DESCRIPTION_CHARS
    {
        bail!(
            InvalidDescription,
            "The pull request description is not valid. Descriptions cannot be more than {MAX_DESCRIPTION_CHARS} characters."
        )
    }
    Ok(())
}

/// `clientRequestToken`: absent means no idempotency; otherwise 1–128 printable ASCII
/// characters (AWS documents no rule; SDKs send a UUID). Shared with the comment operations.
pub(crate) fn client_request_token(v: &Option<String>) -> ApiResult<Option<&str>> {
    match v.as_deref() {
        None => Ok(None),
        Some("") => bail!(
            ClientRequestTokenRequired,
            "A client request token is required. A client request token is an unique, client-generated idempotency token that, when provided in a request, ensures the request cannot be repeated with a changed parameter."
        ),
        Some(t) if t.len() <= 128 && t.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(t)),
        Some(t) => bail!(
            InvalidClientRequestToken,
            "The client request token is not valid: {}. Tokens are at most 128 printable characters.",
            validate::printable(t)
        ),
    }
}

/// How an ARN filter (ListPullRequests `authorArn`, DescribePullRequestEvents `actorArn`)
/// relates to the caller: malformed, or naming a principal of another account (which cannot
/// exist in this one), or fine.
pub(crate) enum ArnCheck {
    Invalid,
    OtherAccount,
    Ok,
}

/// Any IAM or STS ARN of the caller's account may name a principal: IAM users and roles are
/// not modelled, so an ARN of this account that never acted simply matches nothing
/// (`AuthorDoesNotExistException` / `ActorDoesNotExistException` are for other accounts).
pub(crate) fn check_principal_arn(ctx: &Ctx<'_>, arn: &str) -> ArnCheck {
    match crate::identity::arn_account(arn) {
        None => ArnCheck::Invalid,
        Some(account) if account != ctx.account => ArnCheck::OtherAccount,
        Some(_) => ArnCheck::Ok,
    }
}

/// A new opaque revision id (64 hex digits, like AWS's).
pub(crate) fn new_revision_id() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Bumps a pull request's `lastActivityDate` (comments, approvals and the like count as
/// activity too).
pub(crate) fn touch(conn: &Connection, key: i64, date: f64) -> ApiResult<()> {
    conn.prepare_cached(
        "UPDATE pull_requests SET last_activity_date = MAX(last_activity_date, ?2) WHERE key = ?1",
    )?
    .execute(rusqlite::params![key, date])?;
    Ok(())
}

fn merge_metadata(t: &TargetRow) -> MergeMetadata {
    match &t.merged {
        None => MergeMetadata {
            is_merged: Some(false),
            ..Default::default()
        },
        Some(m) => MergeMetadata {
            is_merged: Some(true),
            merged_by: Some(m.by.clone()),
            merge_commit_id: m.commit.clone(),
            merge_option: Some(MergeOptionTypeEnum::parse(&m.option)),
        },
    }
}

fn target_view(state: &AppState, t: &TargetRow) -> PullRequestTarget {
    PullRequestTarget {
        repository_name: state
            .store
            .get_by_id(&t.repository_id)
            .map(|r| r.name.clone()),
        source_reference: Some(t.source_ref.clone()),
        destination_reference: Some(t.destination_ref.clone()),
        destination_commit: Some(t.destination_commit.clone()),
        source_commit: Some(t.source_commit.clone()),
        merge_base: t.merge_base.clone(),
        merge_metadata: Some(merge_metadata(t)),
    }
}

/// THE builder of the `PullRequest` shape every operation answers (and every event carries).
/// Repository names come from the catalog, so a renamed repository shows its new name.
pub(crate) fn view(
    state: &AppState,
    conn: &Connection,
    pr: &PullRequestRow,
) -> ApiResult<PullRequest> {
    Ok(PullRequest {
        pull_request_id: Some(pr.id()),
        title: Some(pr.title.clone()),
        description: pr.description.clone(),
        last_activity_date: Some(pr.last_activity_date),
        creation_date: Some(pr.creation_date),
        pull_request_status: Some(match pr.status {
            Status::Open => PullRequestStatusEnum::Open,
            Status::Closed => PullRequestStatusEnum::Closed,
        }),
        author_arn: Some(pr.author_arn.clone()),
        pull_request_targets: Some(pr.targets.iter().map(|t| target_view(state, t)).collect()),
        client_request_token: pr.client_request_token.clone(),
        revision_id: Some(pr.revision_id.clone()),
        approval_rules: Some(approval_rules(conn, pr)?),
    })
}

/// The pull request's approval rules as `PullRequest.approvalRules` lists them. The
/// approval-rule area (issue 9) reads its own table here; until then there are none.
fn approval_rules(_conn: &Connection, _pr: &PullRequestRow) -> ApiResult<Vec<ApprovalRule>> {
    Ok(Vec::new())
}

/// A pull-request event for the internal stream (EventBridge / notifications build on it).
pub(crate) struct Published {
    pub kind: PullRequestEventKind,
    pub caller_arn: String,
    pub pull_request: PullRequest,
    pub merge_option: Option<String>,
}

pub(crate) fn publish(state: &AppState, account: &str, region: &str, items: Vec<Published>) {
    for p in items {
        events::publish(
            state,
            Event::PullRequest(events::payload::PullRequestEvent {
                account: account.to_owned(),
                region: region.to_owned(),
                kind: p.kind,
                caller_arn: p.caller_arn,
                pull_request: p.pull_request,
                approval_rule: None,
                override_status: None,
                approval_status: None,
                merge_option: p.merge_option,
            }),
        );
    }
}

/// The `…StatusChangedEventMetadata` of a close.
fn closed_metadata() -> serde_json::Value {
    serde_json::json!({"pullRequestStatusChangedEventMetadata": {"pullRequestStatus": "CLOSED"}})
}

/// The `pullRequestMergedStateChangedEventMetadata` of a merge.
fn merged_metadata(t: &TargetRow) -> serde_json::Value {
    serde_json::json!({"pullRequestMergedStateChangedEventMetadata": {
        "repositoryName": "",
        "destinationReference": t.destination_ref,
        "mergeMetadata": merge_metadata(t),
    }})
}

#[cfg(test)]
mod tests {
    use super::*;
    use codecommit_model::ErrorCode;

    fn code<T: std::fmt::Debug>(r: ApiResult<T>) -> ErrorCode {
        r.unwrap_err().code()
    }

    #[test]
    fn pull_request_ids_are_positive_decimal_numbers() {
        assert_eq!(pull_request_number(&Some("17".into())).unwrap(), 17);
        assert_eq!(
            code(pull_request_number(&None)),
            ErrorCode::PullRequestIdRequired
        );
        assert_eq!(
            code(pull_request_number(&Some(String::new()))),
            ErrorCode::PullRequestIdRequired
        );
        for bad in ["0", "-1", "+1", "1e3", "x", "99999999999999999999"] {
            assert_eq!(
                code(pull_request_number(&Some(bad.into()))),
                ErrorCode::InvalidPullRequestId,
                "{bad}"
            );
        }
    }

    #[test]
    fn titles_descriptions_and_tokens() {
        assert!(title(&Some("é".repeat(MAX_TITLE_CHARS))).is_ok());
        assert_eq!(
            code(title(&Some("x".repeat(MAX_TITLE_CHARS + 1)))),
            ErrorCode::InvalidTitle
        );
        assert_eq!(code(title(&None)), ErrorCode::TitleRequired);
        assert!(description(&Some("d".repeat(MAX_DESCRIPTION_CHARS))).is_ok());
        assert_eq!(
            code(description(&Some("d".repeat(MAX_DESCRIPTION_CHARS + 1)))),
            ErrorCode::InvalidDescription
        );
        assert_eq!(client_request_token(&None).unwrap(), None);
        assert_eq!(
            client_request_token(&Some("abc-1".into())).unwrap(),
            Some("abc-1")
        );
        assert_eq!(
            code(client_request_token(&Some(String::new()))),
            ErrorCode::ClientRequestTokenRequired
        );
        assert_eq!(
            code(client_request_token(&Some("a b".into()))),
            ErrorCode::InvalidClientRequestToken
        );
        let id = new_revision_id();
        assert_eq!(id.len(), 64);
        assert_ne!(id, new_revision_id());
    }
}
