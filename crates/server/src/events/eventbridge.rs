//! The EventBridge format: every event CodeCommit puts on the account's default bus (source
//! `aws.codecommit`), built from the typed values of `events` (codecommit-facts.md §6
//! "EventBridge", with AWS's quirks: `isMerged` "True"/"False", `pullRequestStatus`
//! "Open"/"Closed", Java-style dates, `conflictDetailsLevel`). The webhook posts the same
//! JSON.

use super::payload::{
    CommentEvent, Event, PullRequestEvent, ReactionEvent, TemplateEvent, TemplateEventKind,
    UnreferencedMergeCommitEvent,
};
use super::{MergeInfo, RefUpdate};
use crate::timefmt::{iso8601_seconds, java_date};
use codecommit_model::shapes::PullRequestStatusEnum;
use serde::Serialize;
use serde_json::{Map, Value, json};

pub const SOURCE: &str = "aws.codecommit";
pub const REPOSITORY_STATE_CHANGE: &str = "CodeCommit Repository State Change";

/// One event as the bus shows it to rules and targets.
#[derive(Debug, Clone, PartialEq)]
pub struct BusEvent {
    pub id: String,
    pub detail_type: &'static str,
    pub account: String,
    pub region: String,
    /// Epoch seconds.
    pub time: f64,
    pub resources: Vec<String>,
    pub detail: Map<String, Value>,
}

/// The envelope in AWS's field order.
#[derive(Serialize)]
struct Envelope<'a> {
    version: &'static str,
    id: &'a str,
    #[serde(rename = "detail-type")]
    detail_type: &'a str,
    source: &'static str,
    account: &'a str,
    time: String,
    region: &'a str,
    resources: &'a [String],
    detail: &'a Map<String, Value>,
}

impl BusEvent {
    /// `detail.event`, e.g. `referenceCreated`.
    pub fn name(&self) -> &str {
        self.detail
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The whole event as JSON, as a rule's target receives it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&Envelope {
            version: "0",
            id: &self.id,
            detail_type: self.detail_type,
            source: SOURCE,
            account: &self.account,
            time: iso8601_seconds(self.time),
            region: &self.region,
            resources: &self.resources,
            detail: &self.detail,
        })
        .unwrap_or_default()
    }
}

pub fn repository_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:codecommit:{region}:{account}:{name}")
}

/// The repository a reference event is about.
pub struct Repo<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub id: &'a str,
    pub name: &'a str,
}

fn new_event(
    detail_type: &'static str,
    account: &str,
    region: &str,
    time: f64,
    resources: Vec<String>,
    detail: Map<String, Value>,
) -> BusEvent {
    BusEvent {
        id: uuid::Uuid::new_v4().to_string(),
        detail_type,
        account: account.to_owned(),
        region: region.to_owned(),
        time,
        resources,
        detail,
    }
}

fn put(detail: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    detail.insert(key.to_owned(), value.into());
}

fn put_opt(detail: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        put(detail, key, v);
    }
}

fn merge_fields(detail: &mut Map<String, Value>, m: &MergeInfo) {
    put_opt(detail, "baseCommitId", m.base_commit_id.as_deref());
    put(detail, "sourceCommitId", m.source_commit_id.as_str());
    put(
        detail,
        "destinationCommitId",
        m.destination_commit_id.as_str(),
    );
    put(detail, "mergeOption", m.merge_option.as_str());
    // "Details", as CodeCommit spells it in these events.
    put_opt(
        detail,
        "conflictDetailsLevel",
        m.conflict_detail_level.as_deref(),
    );
    put_opt(
        detail,
        "conflictResolutionStrategy",
        m.conflict_resolution_strategy.as_deref(),
    );
}

/// `referenceCreated` / `referenceUpdated` / `referenceDeleted` for one moved ref; a merge
/// through the API adds what was merged.
pub fn reference(
    repo: &Repo<'_>,
    u: &RefUpdate,
    caller_arn: &str,
    merge: Option<&MergeInfo>,
    time: f64,
) -> BusEvent {
    let event = match (&u.old, &u.new) {
        (None, _) => "referenceCreated",
        (_, None) => "referenceDeleted",
        _ => "referenceUpdated",
    };
    let (reference_type, reference_name) = if let Some(b) = u.ref_name.strip_prefix("refs/heads/") {
        ("branch", b)
    } else if let Some(t) = u.ref_name.strip_prefix("refs/tags/") {
        ("tag", t)
    } else {
        (
            "reference",
            u.ref_name.strip_prefix("refs/").unwrap_or(&u.ref_name),
        )
    };
    let mut d = Map::new();
    put(&mut d, "event", event);
    put(&mut d, "repositoryName", repo.name);
    put(&mut d, "repositoryId", repo.id);
    put(&mut d, "referenceType", reference_type);
    put(&mut d, "referenceName", reference_name);
    put(&mut d, "referenceFullName", u.ref_name.as_str());
    put_opt(&mut d, "commitId", u.new.as_deref());
    put_opt(&mut d, "oldCommitId", u.old.as_deref());
    put(&mut d, "callerUserArn", caller_arn);
    if let Some(m) = merge {
        merge_fields(&mut d, m);
    }
    new_event(
        REPOSITORY_STATE_CHANGE,
        repo.account,
        repo.region,
        time,
        vec![repository_arn(repo.region, repo.account, repo.name)],
        d,
    )
}

/// The bus event for an event that is not a ref move.
pub fn from_event(event: &Event, time: f64) -> BusEvent {
    match event {
        Event::UnreferencedMergeCommit(e) => unreferenced_merge(e, time),
        Event::PullRequest(e) => pull_request(event.name(), e, time),
        Event::Comment(e) => comment(event.detail_type(), event.name(), e, time),
        Event::Reaction(e) => reaction(event.name(), e, time),
        Event::ApprovalRuleTemplate(e) => template(event.name(), e, time),
    }
}

fn unreferenced_merge(e: &UnreferencedMergeCommitEvent, time: f64) -> BusEvent {
    let mut d = Map::new();
    put(&mut d, "event", "unreferencedMergeCommitCreated");
    put(&mut d, "repositoryName", e.repository_name.as_str());
    put(&mut d, "repositoryId", e.repository_id.as_str());
    put(&mut d, "commitId", e.commit_id.as_str());
    put(&mut d, "callerUserArn", e.caller_arn.as_str());
    merge_fields(&mut d, &e.merge);
    new_event(
        REPOSITORY_STATE_CHANGE,
        &e.account,
        &e.region,
        time,
        vec![repository_arn(&e.region, &e.account, &e.repository_name)],
        d,
    )
}

/// The console page of a repository, as notification bodies link it.
fn console_repository(region: &str, repository: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/codesuite/codecommit/repositories/{repository}"
    )
}

/// The repository a pull-request event is about (its first target).
pub fn pull_request_repository(e: &PullRequestEvent) -> Option<&str> {
    e.pull_request
        .pull_request_targets
        .as_deref()
        .and_then(|t| t.first())
        .and_then(|t| t.repository_name.as_deref())
}

fn pull_request(name: &str, e: &PullRequestEvent, time: f64) -> BusEvent {
    use super::payload::PullRequestEventKind as K;
    let pr = &e.pull_request;
    let target = pr
        .pull_request_targets
        .as_deref()
        .and_then(|t| t.first())
        .cloned()
        .unwrap_or_default();
    let repository = target.repository_name.clone().unwrap_or_default();
    let id = pr.pull_request_id.clone().unwrap_or_default();
    let closed = matches!(pr.pull_request_status, Some(PullRequestStatusEnum::Closed));
    let merged = target
        .merge_metadata
        .as_ref()
        .and_then(|m| m.is_merged)
        .unwrap_or(false);
    let mut d = Map::new();
    put(&mut d, "event", name);
    put_opt(&mut d, "author", pr.author_arn.as_deref());
    put(&mut d, "callerUserArn", e.caller_arn.as_str());
    put(
        &mut d,
        "creationDate",
        java_date(pr.creation_date.unwrap_or(time)),
    );
    put(
        &mut d,
        "lastModifiedDate",
        java_date(pr.last_activity_date.unwrap_or(time)),
    );
    put_opt(&mut d, "description", pr.description.as_deref());
    put_opt(
        &mut d,
        "destinationCommit",
        target.destination_commit.as_deref(),
    );
    put_opt(
        &mut d,
        "destinationReference",
        target.destination_reference.as_deref(),
    );
    put(&mut d, "isMerged", if merged { "True" } else { "False" });
    put(&mut d, "pullRequestId", id.as_str());
    put(
        &mut d,
        "pullRequestStatus",
        if closed { "Closed" } else { "Open" },
    );
    put(&mut d, "repositoryNames", json!([repository]));
    put_opt(&mut d, "revisionId", pr.revision_id.as_deref());
    put_opt(&mut d, "sourceCommit", target.source_commit.as_deref());
    put_opt(
        &mut d,
        "sourceReference",
        target.source_reference.as_deref(),
    );
    put_opt(&mut d, "title", pr.title.as_deref());
    put_opt(&mut d, "mergeOption", e.merge_option.as_deref());
    if let Some(rule) = &e.approval_rule {
        put(
            &mut d,
            "approvalRuleContentSha256",
            rule.rule_content_sha256.as_str(),
        );
        put(&mut d, "approvalRuleId", rule.approval_rule_id.as_str());
        put(&mut d, "approvalRuleName", rule.approval_rule_name.as_str());
    }
    put_opt(&mut d, "overrideStatus", e.override_status.as_deref());
    put_opt(&mut d, "approvalStatus", e.approval_status.as_deref());
    let source_branch = target
        .source_reference
        .as_deref()
        .map(|r| r.strip_prefix("refs/heads/").unwrap_or(r))
        .unwrap_or("");
    let what = match e.kind {
        K::Created => format!(
            "Event: Created. The pull request was created with the following information: Pull Request ID as {id} and title as {}.",
            pr.title.as_deref().unwrap_or("")
        ),
        K::SourceBranchUpdated => format!(
            "Event: Updated. The user updated the following pull request: {id}. The pull request was updated with one or more commits to the source branch: {source_branch}."
        ),
        K::StatusChanged => format!(
            "Event: Updated. Pull request: {id}. The pull request status has been updated. The status is {}.",
            if closed { "closed" } else { "open" }
        ),
        K::MergeStatusUpdated => format!(
            "Event: Updated. Pull request: {id}. The pull request merge status has been updated. The status is {}.",
            if merged { "merged" } else { "not merged" }
        ),
        K::ApprovalRuleCreated => format!(
            "Event: Updated. Pull request: {id}. Additional information: An approval rule has been created with the following name: {}.",
            e.approval_rule
                .as_ref()
                .map(|r| r.approval_rule_name.as_str())
                .unwrap_or("")
        ),
        K::ApprovalRuleUpdated => format!(
            "Event: Updated. Pull request: {id}. The content of an approval rule has been updated for the pull request. The name of the updated rule is: {}.",
            e.approval_rule
                .as_ref()
                .map(|r| r.approval_rule_name.as_str())
                .unwrap_or("")
        ),
        K::ApprovalRuleDeleted => format!(
            "Event: Updated. Pull request: {id}. Additional information: An approval rule has been deleted: {} was deleted.",
            e.approval_rule
                .as_ref()
                .map(|r| r.approval_rule_name.as_str())
                .unwrap_or("")
        ),
        K::ApprovalRuleOverridden => format!(
            "Event: Updated. Pull request: {id}. Additional information: An override event has occurred for the approval rules for this pull request. Override status: {}.",
            e.override_status.as_deref().unwrap_or("")
        ),
        K::ApprovalStateChanged => format!(
            "Event: Updated. Pull request: {id}. Additional information: A user has changed their approval state for the pull request. State change: {}.",
            e.approval_status.as_deref().unwrap_or("")
        ),
    };
    put(
        &mut d,
        "notificationBody",
        format!(
            "A pull request event occurred in the following AWS CodeCommit repository: {repository}. User: {}. {what} For more information, go to the AWS CodeCommit console {}/pull-requests/{id}?region={}",
            e.caller_arn,
            console_repository(&e.region, &repository),
            e.region
        ),
    );
    new_event(
        "CodeCommit Pull Request State Change",
        &e.account,
        &e.region,
        time,
        vec![repository_arn(&e.region, &e.account, &repository)],
        d,
    )
}

fn comment(detail_type: &'static str, name: &str, e: &CommentEvent, time: f64) -> BusEvent {
    use super::payload::ChangeKind;
    let mut d = Map::new();
    put(&mut d, "event", name);
    put_opt(&mut d, "afterCommitId", e.after_commit_id.as_deref());
    put_opt(&mut d, "beforeCommitId", e.before_commit_id.as_deref());
    put(&mut d, "callerUserArn", e.caller_arn.as_str());
    put(&mut d, "commentId", e.comment_id.as_str());
    put_opt(&mut d, "inReplyTo", e.in_reply_to.as_deref());
    put_opt(&mut d, "pullRequestId", e.pull_request_id.as_deref());
    put(&mut d, "repositoryId", e.repository_id.as_str());
    put(&mut d, "repositoryName", e.repository_name.as_str());
    let action = match e.kind {
        ChangeKind::Created => "made a comment",
        ChangeKind::Updated => "updated a comment or replied to a comment",
    };
    let console = console_repository(&e.region, &e.repository_name);
    let (on, link) = match &e.pull_request_id {
        Some(pr) => (
            format!("the following Pull Request: {pr}"),
            format!(
                "{console}/pull-requests/{pr}/activity#{}?region={}",
                e.comment_id, e.region
            ),
        ),
        None => (
            format!("the following comment ID: {}", e.comment_id),
            format!(
                "{console}/compare/{}/.../{}?region={}",
                e.before_commit_id.as_deref().unwrap_or(""),
                e.after_commit_id.as_deref().unwrap_or(""),
                e.region
            ),
        ),
    };
    put(
        &mut d,
        "notificationBody",
        format!(
            "A comment event occurred in the following AWS CodeCommit repository: {}. The user {} {action}. The comment was made on {on}. For more information, go to the AWS CodeCommit console {link}",
            e.repository_name, e.caller_arn
        ),
    );
    new_event(
        detail_type,
        &e.account,
        &e.region,
        time,
        vec![repository_arn(&e.region, &e.account, &e.repository_name)],
        d,
    )
}

fn reaction(name: &str, e: &ReactionEvent, time: f64) -> BusEvent {
    use super::payload::ChangeKind;
    let mut d = Map::new();
    put(&mut d, "event", name);
    put(&mut d, "callerUserArn", e.caller_arn.as_str());
    put(&mut d, "commentId", e.comment_id.as_str());
    put(&mut d, "reactionEmojis", json!(e.emojis));
    put(&mut d, "reactionShortcodes", json!(e.shortcodes));
    put(&mut d, "reactionUnicodes", json!(e.unicodes));
    put(&mut d, "repositoryId", e.repository_id.as_str());
    put(&mut d, "repositoryName", e.repository_name.as_str());
    let (verb, shown) = match e.kind {
        ChangeKind::Created => ("made a comment reaction", e.emojis.first()),
        ChangeKind::Updated => ("updated a reaction", e.shortcodes.first()),
    };
    put(
        &mut d,
        "notificationBody",
        format!(
            "A comment reaction event occurred in the following AWS CodeCommit Repository: {}. The user: {} {verb} {} to the comment with comment ID: {}",
            e.repository_name,
            e.caller_arn,
            shown.map(String::as_str).unwrap_or(""),
            e.comment_id
        ),
    );
    new_event(
        "CodeCommit Comment Reaction Change",
        &e.account,
        &e.region,
        time,
        vec![repository_arn(&e.region, &e.account, &e.repository_name)],
        d,
    )
}

fn template(name: &str, e: &TemplateEvent, time: f64) -> BusEvent {
    use TemplateEventKind as K;
    let mut d = Map::new();
    put(&mut d, "event", name);
    put(
        &mut d,
        "approvalRuleTemplateContentSha256",
        e.content_sha256.as_str(),
    );
    put(&mut d, "approvalRuleTemplateId", e.template_id.as_str());
    put(&mut d, "approvalRuleTemplateName", e.template_name.as_str());
    put(&mut d, "callerUserArn", e.caller_arn.as_str());
    put(&mut d, "creationDate", java_date(e.creation_date));
    put(&mut d, "lastModifiedDate", java_date(e.last_modified_date));
    let repositories: Map<String, Value> = e
        .repositories
        .iter()
        .map(|(name, id)| (name.clone(), Value::from(id.as_str())))
        .collect();
    put(&mut d, "repositories", Value::Object(repositories));
    let names = e
        .repositories
        .keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let what = match e.kind {
        K::Created => format!(
            "An approval rule template with the following name has been created: {}. The ID of the created template is: {}.",
            e.template_name, e.template_id
        ),
        K::Updated => format!(
            "An approval rule template with the following name has been updated: {}. The ID of the updated template is: {}. The after rule template content SHA256 is {}.",
            e.template_name, e.template_id, e.content_sha256
        ),
        K::Deleted => format!(
            "An approval rule template with the following name has been deleted: {}. The ID of the deleted template is: {}.",
            e.template_name, e.template_id
        ),
        K::AssociatedWithRepository => format!(
            "An approval rule template has been associated with the following repository: [{names}]."
        ),
        K::DisassociatedFromRepository => format!(
            "An approval rule template has been disassociated from the following repository: [{names}]."
        ),
        K::BatchAssociated => format!(
            "An approval rule template has been batch associated with the following repository names: [{names}]."
        ),
        K::BatchDisassociated => format!(
            "An approval rule template has been batch disassociated from the following repository names: [{names}]."
        ),
    };
    put(
        &mut d,
        "notificationBody",
        format!(
            "A approval rule template event occurred in the following AWS CodeCommit account: {}. User: {}. Additional information: {what} For more information, go to the AWS CodeCommit console.",
            e.account, e.caller_arn
        ),
    );
    // Template changes name no repository; (dis)associations name the repositories.
    let resources = match e.kind {
        K::Created | K::Updated | K::Deleted => Vec::new(),
        _ => e
            .repositories
            .keys()
            .map(|n| repository_arn(&e.region, &e.account, n))
            .collect(),
    };
    new_event(
        "CodeCommit Approval Rule Template Change",
        &e.account,
        &e.region,
        time,
        resources,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::super::payload::*;
    use super::*;
    use codecommit_model::shapes::{MergeMetadata, PullRequest, PullRequestTarget};
    use std::collections::BTreeMap;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "us-east-2";

    fn repo() -> Repo<'static> {
        Repo {
            account: ACCOUNT,
            region: REGION,
            id: "12345678-1234-5678-abcd-12345678abcd",
            name: "MyDemoRepo",
        }
    }

    fn parse(e: &BusEvent) -> Value {
        serde_json::from_str(&e.to_json()).unwrap()
    }

    #[test]
    fn reference_events() {
        let created = RefUpdate {
            ref_name: "refs/heads/myBranch".into(),
            old: None,
            new: Some("3e5983".into()),
        };
        let e = reference(
            &repo(),
            &created,
            "arn:aws:iam::123456789012:root",
            None,
            1560334423.5,
        );
        let v = parse(&e);
        assert_eq!(v["version"], "0");
        assert_eq!(v["detail-type"], "CodeCommit Repository State Change");
        assert_eq!(v["source"], "aws.codecommit");
        assert_eq!(v["time"], "2019-06-12T10:13:43Z");
        assert_eq!(
            v["resources"],
            json!(["arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo"])
        );
        assert_eq!(
            v["detail"],
            json!({
                "event": "referenceCreated",
                "repositoryName": "MyDemoRepo",
                "repositoryId": "12345678-1234-5678-abcd-12345678abcd",
                "referenceType": "branch",
                "referenceName": "myBranch",
                "referenceFullName": "refs/heads/myBranch",
                "commitId": "3e5983",
                "callerUserArn": "arn:aws:iam::123456789012:root"
            })
        );
        let merged = RefUpdate {
            ref_name: "refs/heads/myBranch".into(),
            old: Some("3e5983".into()),
            new: Some("7f0103".into()),
        };
        let m = MergeInfo {
            base_commit_id: Some("3e5a9b".into()),
            source_commit_id: "26a8f2".into(),
            destination_commit_id: "3e5983".into(),
            merge_option: "THREE_WAY_MERGE".into(),
            conflict_detail_level: Some("LINE_LEVEL".into()),
            conflict_resolution_strategy: Some("AUTOMERGE".into()),
        };
        let v = parse(&reference(&repo(), &merged, "c", Some(&m), 0.0));
        assert_eq!(v["detail"]["event"], "referenceUpdated");
        assert_eq!(v["detail"]["oldCommitId"], "3e5983");
        assert_eq!(v["detail"]["commitId"], "7f0103");
        assert_eq!(v["detail"]["conflictDetailsLevel"], "LINE_LEVEL");
        assert_eq!(v["detail"]["mergeOption"], "THREE_WAY_MERGE");
        assert_eq!(v["detail"]["baseCommitId"], "3e5a9b");
        let tag_deleted = RefUpdate {
            ref_name: "refs/tags/v1".into(),
            old: Some("26a8f2".into()),
            new: None,
        };
        let v = parse(&reference(&repo(), &tag_deleted, "c", None, 0.0));
        assert_eq!(v["detail"]["event"], "referenceDeleted");
        assert_eq!(v["detail"]["referenceType"], "tag");
        assert_eq!(v["detail"]["referenceName"], "v1");
        assert_eq!(v["detail"]["oldCommitId"], "26a8f2");
        assert!(v["detail"].get("commitId").is_none());
    }

    fn pr_event(kind: PullRequestEventKind, closed: bool, merged: bool) -> Event {
        Event::PullRequest(PullRequestEvent {
            account: ACCOUNT.into(),
            region: REGION.into(),
            kind,
            caller_arn: "arn:aws:iam::123456789012:user/Mary_Major".into(),
            pull_request: PullRequest {
                author_arn: Some("arn:aws:iam::123456789012:user/Li_Juan".into()),
                creation_date: Some(1573067458.0),
                last_activity_date: Some(1573067458.0),
                description: Some("An example description.".into()),
                pull_request_id: Some("227".into()),
                pull_request_status: Some(if closed {
                    PullRequestStatusEnum::Closed
                } else {
                    PullRequestStatusEnum::Open
                }),
                revision_id: Some("3b8cecab".into()),
                title: Some("My example pull request".into()),
                pull_request_targets: Some(vec![PullRequestTarget {
                    repository_name: Some("MyDemoRepo".into()),
                    source_reference: Some("refs/heads/test-branch".into()),
                    destination_reference: Some("refs/heads/main".into()),
                    source_commit: Some("29964a17".into()),
                    destination_commit: Some("194fdf00".into()),
                    merge_base: None,
                    merge_metadata: Some(MergeMetadata {
                        is_merged: Some(merged),
                        ..Default::default()
                    }),
                }]),
                ..Default::default()
            },
            approval_rule: Some(ApprovalRuleRef {
                approval_rule_id: "0a9b5dfc".into(),
                approval_rule_name: "1-approver-needed".into(),
                rule_content_sha256: "f742eebb".into(),
                author_arn: "arn:aws:iam::123456789012:user/Li_Juan".into(),
            }),
            override_status: None,
            approval_status: None,
            merge_option: merged.then(|| "FAST_FORWARD_MERGE".to_owned()),
        })
    }

    #[test]
    fn pull_request_events_use_aws_spellings() {
        let e = pr_event(PullRequestEventKind::ApprovalRuleCreated, false, false);
        let v = parse(&from_event(&e, 1573067539.0));
        assert_eq!(v["detail-type"], "CodeCommit Pull Request State Change");
        let d = &v["detail"];
        assert_eq!(d["event"], "pullRequestApprovalRuleCreated");
        assert_eq!(d["isMerged"], "False");
        assert_eq!(d["pullRequestStatus"], "Open");
        assert_eq!(d["creationDate"], "Wed Nov 06 19:10:58 UTC 2019");
        assert_eq!(d["repositoryNames"], json!(["MyDemoRepo"]));
        assert_eq!(d["author"], "arn:aws:iam::123456789012:user/Li_Juan");
        assert_eq!(d["approvalRuleName"], "1-approver-needed");
        assert_eq!(d["approvalRuleContentSha256"], "f742eebb");
        assert_eq!(d["sourceReference"], "refs/heads/test-branch");
        assert!(d["notificationBody"].as_str().unwrap().contains(
            "An approval rule has been created with the following name: 1-approver-needed"
        ));
        let merged = pr_event(PullRequestEventKind::MergeStatusUpdated, true, true);
        let d = parse(&from_event(&merged, 0.0))["detail"].clone();
        assert_eq!(d["isMerged"], "True");
        assert_eq!(d["pullRequestStatus"], "Closed");
        assert_eq!(d["mergeOption"], "FAST_FORWARD_MERGE");
        assert_eq!(d["event"], "pullRequestMergeStatusUpdated");
    }

    #[test]
    fn comment_reaction_template_and_unreferenced_merge_events() {
        let c = Event::Comment(CommentEvent {
            account: ACCOUNT.into(),
            region: REGION.into(),
            kind: ChangeKind::Created,
            caller_arn: "arn:aws:sts::123456789012:federated-user/Saanvi_Sarkar".into(),
            repository_id: "r-id".into(),
            repository_name: "MyDemoRepo".into(),
            pull_request_id: Some("201".into()),
            before_commit_id: Some("3c5d".into()),
            after_commit_id: Some("f4d5".into()),
            comment_id: "463b".into(),
            in_reply_to: None,
        });
        let v = parse(&from_event(&c, 0.0));
        assert_eq!(v["detail-type"], "CodeCommit Comment on Pull Request");
        assert_eq!(v["detail"]["event"], "commentOnPullRequestCreated");
        assert_eq!(v["detail"]["pullRequestId"], "201");
        assert!(v["detail"].get("inReplyTo").is_none());

        let r = Event::Reaction(ReactionEvent {
            account: ACCOUNT.into(),
            region: REGION.into(),
            kind: ChangeKind::Created,
            caller_arn: "arn:aws:iam::123456789012:user/Mary_Major".into(),
            repository_id: "r-id".into(),
            repository_name: "MyDemoRepo".into(),
            comment_id: "2893".into(),
            emojis: vec!["👎".into()],
            shortcodes: vec![":thumbsdown:".into()],
            unicodes: vec!["U+1F44E".into()],
        });
        let v = parse(&from_event(&r, 0.0));
        assert_eq!(v["detail-type"], "CodeCommit Comment Reaction Change");
        assert_eq!(v["detail"]["reactionShortcodes"], json!([":thumbsdown:"]));
        assert_eq!(v["detail"]["reactionUnicodes"], json!(["U+1F44E"]));

        let t = Event::ApprovalRuleTemplate(TemplateEvent {
            account: ACCOUNT.into(),
            region: REGION.into(),
            kind: TemplateEventKind::Created,
            caller_arn: "arn:aws:iam::123456789012:user/Mary_Major".into(),
            template_id: "d738".into(),
            template_name: "2-approvers-required-for-main".into(),
            content_sha256: "f742".into(),
            creation_date: 1573066934.0,
            last_modified_date: 1573066934.0,
            repositories: BTreeMap::new(),
        });
        let v = parse(&from_event(&t, 0.0));
        assert_eq!(v["resources"], json!([]));
        assert_eq!(v["detail"]["repositories"], json!({}));
        assert_eq!(v["detail"]["creationDate"], "Wed Nov 06 19:02:14 UTC 2019");
        let assoc = Event::ApprovalRuleTemplate(TemplateEvent {
            kind: TemplateEventKind::AssociatedWithRepository,
            repositories: BTreeMap::from([("MyDemoRepo".to_string(), "r-id".to_string())]),
            ..match t {
                Event::ApprovalRuleTemplate(t) => t,
                _ => unreachable!(),
            }
        });
        let v = parse(&from_event(&assoc, 0.0));
        assert_eq!(
            v["resources"],
            json!(["arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo"])
        );
        assert_eq!(v["detail"]["repositories"], json!({"MyDemoRepo": "r-id"}));
        assert_eq!(
            v["detail"]["event"],
            "approvalRuleTemplateAssociatedWithRepository"
        );

        let u = Event::UnreferencedMergeCommit(UnreferencedMergeCommitEvent {
            account: ACCOUNT.into(),
            region: REGION.into(),
            repository_id: "r-id".into(),
            repository_name: "MyDemoRepo".into(),
            caller_arn: "c".into(),
            commit_id: "7f01".into(),
            merge: MergeInfo {
                base_commit_id: Some("3e5a".into()),
                source_commit_id: "26a8".into(),
                destination_commit_id: "3e59".into(),
                merge_option: "SQUASH_MERGE".into(),
                conflict_detail_level: Some("LINE_LEVEL".into()),
                conflict_resolution_strategy: Some("AUTOMERGE".into()),
            },
        });
        let v = parse(&from_event(&u, 0.0));
        assert_eq!(v["detail-type"], "CodeCommit Repository State Change");
        assert_eq!(v["detail"]["event"], "unreferencedMergeCommitCreated");
        assert_eq!(v["detail"]["mergeOption"], "SQUASH_MERGE");
        assert!(v["detail"].get("referenceName").is_none());
    }
}
