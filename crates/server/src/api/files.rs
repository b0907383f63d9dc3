//! Files, folders and blobs: GetBlob, GetFile, GetFolder, PutFile, DeleteFile
//! (codecommit-facts.md §2 "PutFile", "DeleteFile", "GetFile / GetBlob / GetFolder").

use super::commits::{
    self, MAX_FILE_BYTES, authorship, base_tree, check_parent, commit_to_branch, entry_kind,
    mode_enum,
};
use super::specs::{self, COMMIT_SPEC};
use super::tree_edit::TreeEdit;
use super::{Ctx, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::git::objects::{
    self, Entry, entry_at, object_kind, object_size, read_blob, tree_entries,
};
use codecommit_model::shapes::*;
use codecommit_model::{Blob, ErrorCode};
use gix::objs::tree::EntryKind;

fn too_large(what: &str, size: u64) -> crate::error::ApiError {
    crate::err!(
        FileTooLarge,
        "The specified {what} is {size} bytes, which exceeds the maximum of {MAX_FILE_BYTES} bytes that can be read through the API."
    )
}

pub fn get_blob(ctx: &Ctx<'_>, input: GetBlobInput) -> ApiResult<GetBlobOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let Some(raw) = validate::present(&input.blob_id) else {
        bail!(
            BlobIdRequired,
            "A blob ID is required, but was not specified."
        )
    };
    let Some(id) = objects::parse_object_id(raw) else {
        bail!(
            InvalidBlobId,
            "The specified blob ID is not valid: {}",
            validate::printable(raw)
        )
    };
    if object_kind(&o.repo, id)? != Some(gix::objs::Kind::Blob) {
        bail!(
            BlobIdDoesNotExist,
            "The specified blob does not exist: {raw}"
        )
    }
    let size = object_size(&o.repo, id)?;
    if size > MAX_FILE_BYTES as u64 {
        return Err(too_large("blob", size));
    }
    Ok(GetBlobOutput {
        content: Some(Blob(read_blob(&o.repo, id)?)),
    })
}

pub fn get_file(ctx: &Ctx<'_>, input: GetFileInput) -> ApiResult<GetFileOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let commit = specs::commit_or_default(&o, &input.commit_specifier, &COMMIT_SPEC)?;
    let path = validate::file_path(&input.file_path)?;
    let tree = objects::commit_tree(&o.repo, commit)?;
    let Some(entry) = entry_at(&o.repo, tree, &path)?.filter(Entry::is_blob_like) else {
        bail!(
            FileDoesNotExist,
            "The file {path} does not exist in commit {commit}."
        )
    };
    let size = object_size(&o.repo, entry.id)?;
    if size > MAX_FILE_BYTES as u64 {
        return Err(too_large("file", size));
    }
    Ok(GetFileOutput {
        commit_id: Some(commit.to_string()),
        blob_id: Some(entry.id.to_string()),
        file_path: Some(path),
        file_mode: Some(mode_enum(entry.kind)),
        file_size: Some(size as i64),
        file_content: Some(Blob(read_blob(&o.repo, entry.id)?)),
    })
}

pub fn get_folder(ctx: &Ctx<'_>, input: GetFolderInput) -> ApiResult<GetFolderOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let commit = specs::commit_or_default(&o, &input.commit_specifier, &COMMIT_SPEC)?;
    let folder = validate::folder_path(&input.folder_path)?;
    let root = objects::commit_tree(&o.repo, commit)?;
    let Some(entry) = entry_at(&o.repo, root, &folder)?.filter(Entry::is_tree) else {
        bail!(
            FolderDoesNotExist,
            "The folder {} does not exist in commit {commit}.",
            input.folder_path.as_deref().unwrap_or_default()
        )
    };
    let (mut sub_folders, mut files, mut symbolic_links, mut sub_modules) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (name, e) in tree_entries(&o.repo, entry.id)? {
        let name = String::from_utf8_lossy(&name).into_owned();
        let absolute = if folder.is_empty() {
            name.clone()
        } else {
            format!("{folder}/{name}")
        };
        match e.kind {
            EntryKind::Tree => sub_folders.push(Folder {
                tree_id: Some(e.id.to_string()),
                absolute_path: Some(absolute),
                relative_path: Some(name),
            }),
            EntryKind::Commit => sub_modules.push(SubModule {
                commit_id: Some(e.id.to_string()),
                absolute_path: Some(absolute),
                relative_path: Some(name),
            }),
            EntryKind::Link => symbolic_links.push(SymbolicLink {
                blob_id: Some(e.id.to_string()),
                absolute_path: Some(absolute),
                relative_path: Some(name),
                file_mode: Some(mode_enum(e.kind)),
            }),
            EntryKind::Blob | EntryKind::BlobExecutable => files.push(File {
                blob_id: Some(e.id.to_string()),
                absolute_path: Some(absolute),
                relative_path: Some(name),
                file_mode: Some(mode_enum(e.kind)),
            }),
        }
    }
    Ok(GetFolderOutput {
        commit_id: Some(commit.to_string()),
        folder_path: input.folder_path.clone(),
        tree_id: Some(entry.id.to_string()),
        sub_folders: Some(sub_folders),
        files: Some(files),
        symbolic_links: Some(symbolic_links),
        sub_modules: Some(sub_modules),
    })
}

pub fn put_file(ctx: &Ctx<'_>, input: PutFileInput) -> ApiResult<PutFileOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let branch = validate::branch_name(&input.branch_name)?;
    let path = validate::new_file_path(&input.file_path)?;
    let content = match &input.file_content {
        Some(c) if !c.as_bytes().is_empty() => c.as_bytes(),
        _ => bail!(
            FileContentRequired,
            "The file is empty. Empty files cannot be added to a repository with this API."
        ),
    };
    if content.len() > MAX_FILE_BYTES {
        bail!(
            FileContentSizeLimitExceeded,
            "The file exceeds the maximum file size of 6 MB."
        )
    }
    let mode = input.file_mode.as_ref().map(entry_kind).transpose()?;
    if let Some(kind) = mode {
        validate::check_symlink_path(&path, kind)?;
    }
    let who = authorship(ctx, &input.name, &input.email, &input.commit_message)?;

    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let tip = check_parent(&o, branch, &input.parent_commit_id, false)?;
    let base = base_tree(&o, tip)?;
    let mut edit = TreeEdit::new(&o.repo, base);
    let existing = edit.current(&path)?.filter(Entry::is_blob_like);
    let kind = mode.or(existing.map(|e| e.kind)).unwrap_or(EntryKind::Blob);
    let blob = gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, content)
        .map_err(|e| crate::error::ApiError::internal("hashing a blob", e))?;
    if existing == Some(Entry { kind, id: blob }) {
        bail!(
            SameFileContent,
            "The file could not be added because the provided file content is the same as the current file content: {path}."
        )
    }
    let written =
        crate::git::write::retrying("writing a blob", || o.repo.write_blob(content))?.detach();
    edit.put(&path, kind, written)?;
    let tree = edit.write_tree_only(false)?;
    let message = who
        .message
        .clone()
        .unwrap_or_else(|| commits::single_file_message(&path, existing.as_ref(), false));
    let parents: Vec<_> = tip.into_iter().collect();
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
    Ok(PutFileOutput {
        commit_id: Some(commit.to_string()),
        blob_id: Some(written.to_string()),
        tree_id: Some(tree.to_string()),
    })
}

pub fn delete_file(ctx: &Ctx<'_>, input: DeleteFileInput) -> ApiResult<DeleteFileOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let branch = validate::branch_name(&input.branch_name)?;
    let path = validate::file_path(&input.file_path)?;
    let who = authorship(ctx, &input.name, &input.email, &input.commit_message)?;

    let lock = ctx.state.git.write_lock(&o.rec.id);
    let _guard = lock.lock();
    let tip = check_parent(&o, branch, &input.parent_commit_id, true)?;
    let base = base_tree(&o, tip)?;
    let mut edit = TreeEdit::new(&o.repo, base);
    let Some(removed) = edit.delete(&path)? else {
        bail!(
            FileDoesNotExist,
            "The file {path} does not exist in branch {branch}."
        )
    };
    let tree = edit.write_tree_only(input.keep_empty_folders.unwrap_or(false))?;
    let message = who
        .message
        .clone()
        .unwrap_or_else(|| commits::single_file_message(&path, Some(&removed), true));
    let parents: Vec<_> = tip.into_iter().collect();
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
    Ok(DeleteFileOutput {
        commit_id: Some(commit.to_string()),
        blob_id: Some(removed.id.to_string()),
        tree_id: Some(tree.to_string()),
        file_path: Some(path),
    })
}
