//! Typed values of the events that are not ref moves. Producers (pull requests, approval rules,
//! comments, templates, unreferenced merges) fill them in; the formats each destination wants
//! (EventBridge detail, …) are built from these values in one place per format, never by the
//! producers (codecommit-facts.md §6 lists the detail types and their fields).

use super::MergeInfo;
use codecommit_model::shapes::PullRequest;
use std::collections::BTreeMap;

// Events are built once and moved into an `Arc`; the size of the largest variant costs
// nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    UnreferencedMergeCommit(UnreferencedMergeCommitEvent),
    PullRequest(PullRequestEvent),
    Comment(CommentEvent),
    Reaction(ReactionEvent),
    ApprovalRuleTemplate(TemplateEvent),
}

impl Event {
    pub fn account(&self) -> &str {
        match self {
            Event::UnreferencedMergeCommit(e) => &e.account,
            Event::PullRequest(e) => &e.account,
            Event::Comment(e) => &e.account,
            Event::Reaction(e) => &e.account,
            Event::ApprovalRuleTemplate(e) => &e.account,
        }
    }

    /// Who caused the event.
    pub fn caller_arn(&self) -> &str {
        match self {
            Event::UnreferencedMergeCommit(e) => &e.caller_arn,
            Event::PullRequest(e) => &e.caller_arn,
            Event::Comment(e) => &e.caller_arn,
            Event::Reaction(e) => &e.caller_arn,
            Event::ApprovalRuleTemplate(e) => &e.caller_arn,
        }
    }

    pub fn region(&self) -> &str {
        match self {
            Event::UnreferencedMergeCommit(e) => &e.region,
            Event::PullRequest(e) => &e.region,
            Event::Comment(e) => &e.region,
            Event::Reaction(e) => &e.region,
            Event::ApprovalRuleTemplate(e) => &e.region,
        }
    }

    /// The EventBridge `detail-type`.
    pub fn detail_type(&self) -> &'static str {
        match self {
            Event::UnreferencedMergeCommit(_) => "CodeCommit Repository State Change",
            Event::PullRequest(_) => "CodeCommit Pull Request State Change",
            Event::Comment(e) if e.pull_request_id.is_some() => {
                "CodeCommit Comment on Pull Request"
            }
            Event::Comment(_) => "CodeCommit Comment on Commit",
            Event::Reaction(_) => "CodeCommit Comment Reaction Change",
            Event::ApprovalRuleTemplate(_) => "CodeCommit Approval Rule Template Change",
        }
    }

    /// The EventBridge `detail.event` value.
    pub fn name(&self) -> &'static str {
        match self {
            Event::UnreferencedMergeCommit(_) => "unreferencedMergeCommitCreated",
            Event::PullRequest(e) => e.kind.name(),
            Event::Comment(e) => match (e.pull_request_id.is_some(), e.kind) {
                (true, ChangeKind::Created) => "commentOnPullRequestCreated",
                (true, ChangeKind::Updated) => "commentOnPullRequestUpdated",
                (false, ChangeKind::Created) => "commentOnCommitCreated",
                (false, ChangeKind::Updated) => "commentOnCommitUpdated",
            },
            Event::Reaction(e) => match e.kind {
                ChangeKind::Created => "commentReactionCreated",
                ChangeKind::Updated => "commentReactionUpdated",
            },
            Event::ApprovalRuleTemplate(e) => e.kind.name(),
        }
    }
}

/// Created or updated (comments, reactions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
}

/// CreateUnreferencedMergeCommit wrote a merge commit that no ref points at.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreferencedMergeCommitEvent {
    pub account: String,
    pub region: String,
    pub repository_id: String,
    pub repository_name: String,
    pub caller_arn: String,
    pub commit_id: String,
    pub merge: MergeInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullRequestEventKind {
    Created,
    SourceBranchUpdated,
    StatusChanged,
    MergeStatusUpdated,
    ApprovalRuleCreated,
    ApprovalRuleUpdated,
    ApprovalRuleDeleted,
    ApprovalRuleOverridden,
    ApprovalStateChanged,
}

impl PullRequestEventKind {
    pub fn name(self) -> &'static str {
        match self {
            PullRequestEventKind::Created => "pullRequestCreated",
            PullRequestEventKind::SourceBranchUpdated => "pullRequestSourceBranchUpdated",
            PullRequestEventKind::StatusChanged => "pullRequestStatusChanged",
            PullRequestEventKind::MergeStatusUpdated => "pullRequestMergeStatusUpdated",
            PullRequestEventKind::ApprovalRuleCreated => "pullRequestApprovalRuleCreated",
            PullRequestEventKind::ApprovalRuleUpdated => "pullRequestApprovalRuleUpdated",
            PullRequestEventKind::ApprovalRuleDeleted => "pullRequestApprovalRuleDeleted",
            PullRequestEventKind::ApprovalRuleOverridden => "pullRequestApprovalRuleOverridden",
            PullRequestEventKind::ApprovalStateChanged => "pullRequestApprovalStateChanged",
        }
    }
}

/// An approval rule named by a pull-request event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRuleRef {
    pub approval_rule_id: String,
    pub approval_rule_name: String,
    pub rule_content_sha256: String,
    /// Who created the rule: EventBridge's `author` of `pullRequestApprovalRuleDeleted` is the
    /// rule's author, not the pull request's.
    pub author_arn: String,
}

/// Something happened to a pull request.
#[derive(Debug, Clone, PartialEq)]
pub struct PullRequestEvent {
    pub account: String,
    pub region: String,
    pub kind: PullRequestEventKind,
    pub caller_arn: String,
    /// The pull request after the change, as GetPullRequest shows it.
    pub pull_request: PullRequest,
    /// Approval-rule events: the rule.
    pub approval_rule: Option<ApprovalRuleRef>,
    /// Override events: `OVERRIDE` / `REVOKE`.
    pub override_status: Option<String>,
    /// Approval-state events: `APPROVE` / `REVOKE`.
    pub approval_status: Option<String>,
    /// Merge events: `FAST_FORWARD_MERGE`, `SQUASH_MERGE`, `THREE_WAY_MERGE`.
    pub merge_option: Option<String>,
}

/// A comment was posted or edited, on a pull request (`pull_request_id`) or on compared
/// commits.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentEvent {
    pub account: String,
    pub region: String,
    pub kind: ChangeKind,
    pub caller_arn: String,
    pub repository_id: String,
    pub repository_name: String,
    pub pull_request_id: Option<String>,
    pub before_commit_id: Option<String>,
    pub after_commit_id: Option<String>,
    pub comment_id: String,
    pub in_reply_to: Option<String>,
}

/// A reaction was put on a comment.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactionEvent {
    pub account: String,
    pub region: String,
    pub kind: ChangeKind,
    pub caller_arn: String,
    pub repository_id: String,
    pub repository_name: String,
    pub comment_id: String,
    /// The reaction, in its three spellings (`👍`, `:thumbsup:`, `U+1F44D`).
    pub emojis: Vec<String>,
    pub shortcodes: Vec<String>,
    pub unicodes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateEventKind {
    Created,
    Updated,
    Deleted,
    AssociatedWithRepository,
    DisassociatedFromRepository,
    BatchAssociated,
    BatchDisassociated,
}

impl TemplateEventKind {
    pub fn name(self) -> &'static str {
        match self {
            TemplateEventKind::Created => "approvalRuleTemplateCreated",
            TemplateEventKind::Updated => "approvalRuleTemplateUpdated",
            TemplateEventKind::Deleted => "approvalRuleTemplateDeleted",
            TemplateEventKind::AssociatedWithRepository => {
                "approvalRuleTemplateAssociatedWithRepository"
            }
            TemplateEventKind::DisassociatedFromRepository => {
                "approvalRuleTemplateDisassociatedFromRepository"
            }
            TemplateEventKind::BatchAssociated => {
                "batchAssociateApprovalRuleTemplateWithRepositories"
            }
            TemplateEventKind::BatchDisassociated => {
                "batchDisassociateApprovalRuleTemplateFromRepositories"
            }
        }
    }
}

/// An approval rule template changed, or its associations did.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateEvent {
    pub account: String,
    pub region: String,
    pub kind: TemplateEventKind,
    pub caller_arn: String,
    pub template_id: String,
    pub template_name: String,
    pub content_sha256: String,
    pub creation_date: f64,
    pub last_modified_date: f64,
    /// Repositories the change is about: name → repository id (empty for create/update/delete).
    pub repositories: BTreeMap<String, String>,
}
