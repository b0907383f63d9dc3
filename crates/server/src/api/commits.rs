//! Commits: reading them (GetCommit, BatchGetCommits), and the write path every API commit
//! shares (PutFile, DeleteFile, CreateCommit, and later merges): parent checks against the
//! branch tip, author rules, commit object, compare-and-swap of the branch, bookkeeping.

use super::branches::writable_branch;
use super::specs::{self, CommitId};
use super::tree_edit::{GITKEEP, Touched, TreeEdit};
use super::{Ctx, Opened, validate};
use crate::bail;
use crate::error::{ApiError, ApiResult};
use crate::events::{self, RefMoves};
use crate::git::objects::{self, Entry, describe_commit, file_mode_name};
use crate::git::write::{CasFailure, Person, compare_and_swap, now_seconds, write_commit};
use codecommit_model::ErrorCode;
use codecommit_model::shapes::*;
use gix::ObjectId;
use gix::objs::tree::EntryKind;

/// Per-file and per-commit content limits of API commits (codecommit-facts.md §1).
pub const MAX_FILE_BYTES: usize = 6 * 1024 * 1024;
pub const MAX_COMMIT_CONTENT_BYTES: usize = 7 * 1024 * 1024;
/// Files changed by one CreateCommit.
pub const MAX_FILE_ENTRIES: usize = 100;
/// Commit messages of API commits: 256 KB.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
const MAX_NAME_CHARS: usize = 1024;
const MAX_EMAIL_CHARS: usize = 256;

pub fn get_commit(ctx: &Ctx<'_>, input: GetCommitInput) -> ApiResult<GetCommitOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let Some(id) = validate::present(&input.commit_id) else {
        bail!(
            CommitIdRequired,
            "A commit ID is required, but was not specified."
        )
    };
    match specs::commit_id(&o, id)? {
        CommitId::Found(c) => Ok(GetCommitOutput {
            commit: Some(describe_commit(&o.repo, c)?),
        }),
        CommitId::Invalid => bail!(
            InvalidCommitId,
            "The specified commit ID is not valid: {}",
            validate::printable(id)
        ),
        CommitId::NotFound => bail!(
            CommitIdDoesNotExist,
            "The specified commit ID does not exist: {id}"
        ),
    }
}

pub fn batch_get_commits(
    ctx: &Ctx<'_>,
    input: BatchGetCommitsInput,
) -> ApiResult<BatchGetCommitsOutput> {
    let ids = match input.commit_ids {
        Some(ids) if !ids.is_empty() => ids,
        _ => bail!(
            CommitIdsListRequired,
            "A list of commit IDs is required, but was either not specified or the list was empty."
        ),
    };
    if ids.len() > 100 {
        bail!(
            CommitIdsLimitExceeded,
            "The maximum number of allowed commit IDs in a batch request is 100."
        )
    }
    let o = ctx.open_repo(&input.repository_name)?;
    let mut commits = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        let error = |code: ErrorCode, message: String| BatchGetCommitsError {
            commit_id: Some(id.clone()),
            error_code: Some(code.name().to_owned()),
            error_message: Some(message),
        };
        match specs::commit_id(&o, &id)? {
            CommitId::Found(c) => commits.push(describe_commit(&o.repo, c)?),
            CommitId::Invalid => errors.push(error(
                ErrorCode::InvalidCommitId,
                "The specified commit ID is not valid.".into(),
            )),
            CommitId::NotFound => errors.push(error(
                ErrorCode::CommitIdDoesNotExist,
                "The specified commit ID does not exist.".into(),
            )),
        }
    }
    Ok(BatchGetCommitsOutput {
        commits: Some(commits),
        errors: Some(errors),
    })
}

/// Author name, email and message of an API commit, checked as CodeCommit checks them.
pub struct Authorship {
    pub person: Person,
    pub message: Option<String>,
}

pub fn authorship(
    ctx: &Ctx<'_>,
    name: &Option<String>,
    email: &Option<String>,
    message: &Option<String>,
) -> ApiResult<Authorship> {
    if let Some(n) = name
        && n.chars().count() > MAX_NAME_CHARS
    {
        bail!(
            NameLengthExceeded,
            "The user name is not valid because it exceeds the maximum of {MAX_NAME_CHARS} characters."
        )
    }
    if let Some(e) = email
        && (e.chars().count() > MAX_EMAIL_CHARS
            || e.chars()
                .any(|c| matches!(c, '<' | '>' | '\n' | '\r' | '\0')))
    {
        bail!(
            InvalidEmail,
            "The specified email address either contains one or more characters that are not allowed, or it exceeds the maximum number of characters allowed for an email address."
        )
    }
    if let Some(m) = message
        && m.len() > MAX_MESSAGE_BYTES
    {
        bail!(
            CommitMessageLengthExceeded,
            "The commit message is longer than the maximum of 256 KB."
        )
    }
    // Without a name, CodeCommit records the caller's ARN (API Reference, DeleteFile).
    let name = validate::present(name)
        .map(|n| {
            n.chars()
                .filter(|c| !matches!(c, '<' | '>' | '\n' | '\r' | '\0'))
                .collect::<String>()
        })
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| ctx.caller_arn());
    Ok(Authorship {
        person: Person {
            name,
            email: email.clone().unwrap_or_default(),
            seconds: now_seconds(),
        },
        message: validate::present(message).map(str::to_owned),
    })
}

/// Checks `parentCommitId` against the branch a write targets and returns the branch's tip
/// (`None` when the write creates the first branch of an empty repository).
pub fn check_parent(
    o: &Opened,
    branch: &str,
    parent: &Option<String>,
    required: bool,
) -> ApiResult<Option<ObjectId>> {
    let tip = writable_branch(o, branch)?;
    let Some(tip) = tip else {
        if !objects::has_no_branches(&o.repo)? {
            bail!(
                BranchDoesNotExist,
                "Branch {branch} does not exist in repository {}.",
                o.rec.name
            )
        }
        validate::storable_branch_name(branch)?;
        // The first commit of an empty repository needs no parent.
        if required && validate::present(parent).is_none() {
            bail!(ParentCommitIdRequired, "A parent commit ID is required.")
        }
        if let Some(p) = validate::present(parent) {
            parent_commit(o, p)?;
            bail!(
                ParentCommitIdOutdated,
                "The parent commit ID {p} is not the tip of branch {branch}, which does not exist yet."
            )
        }
        return Ok(None);
    };
    // Absent is "required"; an empty string is "not valid" ("The commit ID cannot be empty",
    // InvalidParentCommitIdException in the API Reference; the CommitId shape has no min length).
    let Some(p) = parent.as_deref() else {
        bail!(
            ParentCommitIdRequired,
            "A parent commit ID is required. Use GetBranch to get the commit ID of the tip of branch {branch}."
        )
    };
    let parent = parent_commit(o, p)?;
    if parent != tip {
        bail!(
            ParentCommitIdOutdated,
            "The parent commit ID {p} is not the current tip of branch {branch} ({tip}). Use GetBranch to get the current tip."
        )
    }
    Ok(Some(tip))
}

fn parent_commit(o: &Opened, p: &str) -> ApiResult<ObjectId> {
    match specs::commit_id(o, p)? {
        CommitId::Found(c) => Ok(c),
        CommitId::Invalid => bail!(
            InvalidParentCommitId,
            "The parent commit ID is not valid: {}",
            validate::printable(p)
        ),
        CommitId::NotFound => bail!(
            ParentCommitDoesNotExist,
            "The parent commit ID {p} does not exist."
        ),
    }
}

/// Writes a commit of `tree` onto `branch`, moving it from `expected` by compare-and-swap, and
/// records the ref change. A lost race is `on_race` (ParentCommitIdOutdated for file writes,
/// ConcurrentReferenceUpdate for merges).
#[allow(clippy::too_many_arguments)]
pub fn commit_to_branch(
    ctx: &Ctx<'_>,
    o: &Opened,
    branch: &str,
    expected: Option<ObjectId>,
    tree: ObjectId,
    parents: &[ObjectId],
    who: &Person,
    message: &str,
    on_race: ErrorCode,
) -> ApiResult<ObjectId> {
    let commit = write_commit(&o.repo, tree, parents, who, message)?;
    let name = format!("refs/heads/{branch}");
    match compare_and_swap(&o.repo, &name, expected, Some(commit))? {
        Ok(()) => {}
        Err(CasFailure::Moved { .. }) => {
            return Err(ApiError::client(
                on_race,
                format!(
                    "Branch {branch} was updated by someone else; get its new tip and try again."
                ),
            ));
        }
    }
    events::record_ref_moves(
        ctx.state,
        RefMoves::api(
            &o.rec.id,
            &ctx.caller.arn,
            name,
            expected.map(|e| e.to_string()),
            Some(commit.to_string()),
        ),
    );
    Ok(commit)
}

/// `EXECUTABLE` / `NORMAL` / `SYMLINK` → the git entry kind; anything else is invalid.
pub fn entry_kind(mode: &FileModeTypeEnum) -> ApiResult<EntryKind> {
    match mode {
        FileModeTypeEnum::Executable => Ok(EntryKind::BlobExecutable),
        FileModeTypeEnum::Normal => Ok(EntryKind::Blob),
        FileModeTypeEnum::Symlink => Ok(EntryKind::Link),
        FileModeTypeEnum::Unknown(m) => {
            bail!(
                InvalidFileMode,
                "The specified file mode permission is not valid: {}",
                validate::printable(m)
            )
        }
    }
}

pub fn mode_enum(kind: EntryKind) -> FileModeTypeEnum {
    FileModeTypeEnum::parse(file_mode_name(kind))
}

fn file_metadata(path: &str, e: &Entry) -> FileMetadata {
    FileMetadata {
        absolute_path: Some(path.to_owned()),
        blob_id: Some(e.id.to_string()),
        file_mode: Some(mode_enum(e.kind)),
    }
}

/// The tree a write starts from: the tip's tree, or the empty tree for a new branch.
pub fn base_tree(o: &Opened, tip: Option<ObjectId>) -> ApiResult<ObjectId> {
    match tip {
        Some(t) => objects::commit_tree(&o.repo, t),
        None => Ok(ObjectId::empty_tree(gix::hash::Kind::Sha1)),
    }
}

pub fn create_commit(ctx: &Ctx<'_>, input: CreateCommitInput) -> ApiResult<CreateCommitOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let branch = validate::branch_name(&input.branch_name)?;
    let puts = input.put_files.unwrap_or_default();
    let deletes = input.delete_files.unwrap_or_default();
    let modes = input.set_file_modes.unwrap_or_default();
    let total = puts.len() + deletes.len() + modes.len();
    if total == 0 {
        bail!(
            FileEntryRequired,
            "The commit cannot be created because no files have been specified as added, updated, or changed (PutFile or DeleteFile) for the commit."
        )
    }
    if total > MAX_FILE_ENTRIES {
        bail!(
            MaximumFileEntriesExceeded,
            "The number of specified files to change as part of this commit exceeds the maximum number of files that can be changed in a single commit ({MAX_FILE_ENTRIES})."
        )
    }

    // Validate every entry before touching anything.
    struct Put {
        path: String,
        mode: Option<EntryKind>,
        content: Option<Vec<u8>>,
        source: Option<(String, bool)>,
    }
    let mut all_paths: Vec<String> = Vec::new();
    let mut put_entries = Vec::new();
    let mut content_bytes = 0usize;
    for p in puts {
        let path = validate::new_file_path(&p.file_path)?;
        let mode = p.file_mode.as_ref().map(entry_kind).transpose()?;
        if let Some(kind) = mode {
            validate::check_symlink_path(&path, kind)?;
        }
        let source = match (&p.file_content, &p.source_file) {
            (Some(_), Some(_)) => bail!(
                FileContentAndSourceFileSpecified,
                "The commit cannot be created because both a source file and file content have been specified for the same file: {path}."
            ),
            (None, None) => bail!(
                SourceFileOrContentRequired,
                "The commit cannot be created because no source files or file content have been specified for the commit: {path}."
            ),
            (None, Some(src)) => {
                let src_path = validate::file_path(&src.file_path)?;
                if src_path.rsplit('/').next() == Some(GITKEEP) {
                    bail!(
                        RestrictedSourceFile,
                        "The commit cannot be created because one of the changes specifies copying or moving a .gitkeep file: {src_path}."
                    )
                }
                Some((src_path, src.is_move.unwrap_or(false)))
            }
            (Some(_), None) => None,
        };
        if let Some(content) = &p.file_content {
            if content.as_bytes().len() > MAX_FILE_BYTES {
                bail!(
                    FileContentSizeLimitExceeded,
                    "The file {path} exceeds the maximum file size of 6 MB."
                )
            }
            content_bytes += content.as_bytes().len();
        }
        all_paths.push(path.clone());
        if let Some((src, true)) = &source {
            all_paths.push(src.clone());
        }
        put_entries.push(Put {
            path,
            mode,
            content: p.file_content.map(|b| b.into_inner()),
            source,
        });
    }
    if content_bytes > MAX_COMMIT_CONTENT_BYTES {
        bail!(
            FileContentSizeLimitExceeded,
            "The files of this commit exceed the combined maximum of 7 MB."
        )
    }
    let mut delete_paths = Vec::new();
    for d in deletes {
        let path = validate::file_path(&d.file_path)?;
        all_paths.push(path.clone());
        delete_paths.push(path);
    }
    let mut mode_changes = Vec::new();
    for m in modes {
        let path = validate::file_path(&m.file_path)?;
        let Some(mode) = &m.file_mode else {
            bail!(FileModeRequired, "The file mode for {path} is required.")
        };
        let kind = entry_kind(mode)?;
        validate::check_symlink_path(&path, kind)?;
        all_paths.push(path.clone());
        mode_changes.push((path, kind));
    }
    check_request_paths(
        &mut all_paths,
        &put_entries
            .iter()
            .map(|p| p.path.as_str())
            .collect::<Vec<_>>(),
    )?;

    let who = authorship(ctx, &input.author_name, &input.email, &input.commit_message)?;
    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let tip = check_parent(&o, branch, &input.parent_commit_id, false)?;
    let base = base_tree(&o, tip)?;
    let mut edit = TreeEdit::new(&o.repo, base);
    // Source files are read from the parent commit: the request is one change set against
    // it, so neither the order of the entries nor another entry's delete or move changes
    // what a copy or move takes.
    let mut parent_view = TreeEdit::new(&o.repo, base);

    for path in &delete_paths {
        if edit.delete(path)?.is_none() {
            bail!(
                FileDoesNotExist,
                "The file {path} does not exist in branch {branch}."
            )
        }
    }
    for p in put_entries {
        let existing = edit.current(&p.path)?.filter(Entry::is_blob_like);
        let (blob, default_kind) = match (p.content, &p.source) {
            (Some(content), _) => (
                crate::git::write::retrying("writing a blob", || o.repo.write_blob(&content))?
                    .detach(),
                None,
            ),
            (None, Some((src, is_move))) => {
                let Some(entry) = parent_view.current(src)?.filter(Entry::is_blob_like) else {
                    bail!(
                        FileDoesNotExist,
                        "The source file {src} does not exist in branch {branch}."
                    )
                };
                if *is_move {
                    edit.delete(src)?;
                }
                (entry.id, Some(entry.kind))
            }
            (None, None) => continue,
        };
        let kind = p
            .mode
            .or(default_kind)
            .or(existing.map(|e| e.kind))
            .unwrap_or(EntryKind::Blob);
        edit.put(&p.path, kind, blob)?;
    }
    for (path, kind) in &mode_changes {
        let Some(entry) = edit.current(path)?.filter(Entry::is_blob_like) else {
            bail!(
                FileDoesNotExist,
                "The file {path} does not exist in branch {branch}."
            )
        };
        edit.put(path, *kind, entry.id)?;
    }
    let keep = input.keep_empty_folders.unwrap_or(false);
    let (tree, touched) = edit.write(keep)?;
    if tree == base && tip.is_some() {
        bail!(
            NoChange,
            "The commit cannot be created because no changes will be made to the repository as a result of this commit."
        )
    }
    let message = who
        .message
        .clone()
        .unwrap_or_else(|| default_message(&touched));
    let parents: Vec<ObjectId> = tip.into_iter().collect();
    let commit = commit_to_branch(
        ctx,
        &o,
        branch,
        tip,
        tree,
        &parents,
        &who.person,
        &message,
        ErrorCode::ParentCommitIdOutdated,
    )?;

    let (mut added, mut updated, mut deleted) = (Vec::new(), Vec::new(), Vec::new());
    for t in &touched {
        match (&t.before, &t.after) {
            (None, Some(a)) => added.push(file_metadata(&t.path, a)),
            (Some(_), Some(a)) => updated.push(file_metadata(&t.path, a)),
            (Some(b), None) => deleted.push(file_metadata(&t.path, b)),
            (None, None) => {}
        }
    }
    Ok(CreateCommitOutput {
        commit_id: Some(commit.to_string()),
        tree_id: Some(tree.to_string()),
        files_added: Some(added),
        files_updated: Some(updated),
        files_deleted: Some(deleted),
    })
}

/// Within one request: a path may appear once (SamePathRequest), and no put may be a folder of
/// another put (PutFileEntryConflict).
fn check_request_paths(all: &mut [String], puts: &[&str]) -> ApiResult<()> {
    all.sort();
    if let Some(w) = all.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            SamePathRequest,
            "The commit cannot be created because one or more changes in this commit duplicate actions in the same file path: {}.",
            w[0]
        )
    }
    let mut puts: Vec<&str> = puts.to_vec();
    puts.sort_unstable();
    for (i, a) in puts.iter().enumerate() {
        let prefix = format!("{a}/");
        if puts[i + 1..]
            .iter()
            .take_while(|b| b.starts_with(a))
            .any(|b| b.starts_with(&prefix))
        {
            bail!(
                PutFileEntryConflict,
                "The commit cannot be created because one or more files specified in the commit reference both a file and a folder: {a}."
            )
        }
    }
    Ok(())
}

/// Message of an API commit when none was given.
fn default_message(touched: &[Touched]) -> String {
    match touched {
        [one] => match (&one.before, &one.after) {
            (None, Some(_)) => format!("Added {}", one.path),
            (Some(_), None) => format!("Deleted {}", one.path),
            _ => format!("Edited {}", one.path),
        },
        _ => format!("Changed {} files", touched.len()),
    }
}

/// The message PutFile/DeleteFile use when none was given.
pub fn single_file_message(path: &str, before: Option<&Entry>, deleted: bool) -> String {
    match (before, deleted) {
        (_, true) => format!("Deleted {path}"),
        (None, false) => format!("Added {path}"),
        (Some(_), false) => format!("Edited {path}"),
    }
}
