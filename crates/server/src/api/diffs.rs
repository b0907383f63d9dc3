//! GetDifferences (files changed between two commits) and GetBlobDifferences (line hunks of
//! two blobs). Both page with the capitalized `MaxResults` / `NextToken` the model gives them.

use super::commits::MAX_FILE_BYTES;
use super::specs::{self, COMMIT_SPEC};
use super::{Ctx, paginate, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::git::diff::diff_entries;
use crate::git::linediff::{self, LineKind};
use crate::git::objects::{self, entry_at, object_kind, object_size, octal_mode, read_blob};
use codecommit_model::shapes::*;
use gix::ObjectId;

/// Default page sizes (GetBlobDifferences: 100 hunks, per the API Reference).
const DIFFERENCES_PAGE: usize = 100;
const HUNKS_PAGE: usize = 100;
/// The model documents no maximum page size for these operations.
const NO_MAX: usize = i32::MAX as usize;

/// A short fingerprint that ties a token to the exact comparison it pages through.
fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

pub fn get_differences(
    ctx: &Ctx<'_>,
    input: GetDifferencesInput,
) -> ApiResult<GetDifferencesOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let page = paginate::page_size(input.max_results, DIFFERENCES_PAGE, NO_MAX)?;
    let after = specs::required_commit(&o, &input.after_commit_specifier, &COMMIT_SPEC)?;
    let before = match validate::present(&input.before_commit_specifier) {
        Some(spec) => Some(specs::resolve(&o, spec, &COMMIT_SPEC)?),
        None => None,
    };
    let normalize = |p: &Option<String>| -> ApiResult<Option<String>> {
        match p.as_deref() {
            None => Ok(None),
            Some(raw) => validate::normalize_path(raw, true)
                .map(Some)
                .ok_or_else(|| {
                    crate::err!(
                        InvalidPath,
                        "The specified path is not valid: {}",
                        validate::printable(raw)
                    )
                }),
        }
    };
    // One path limits both sides; two different ones compare a renamed folder.
    let (bp, ap) = match (
        normalize(&input.before_path)?,
        normalize(&input.after_path)?,
    ) {
        (None, None) => (String::new(), String::new()),
        (Some(b), None) => (b.clone(), b),
        (None, Some(a)) => (a.clone(), a),
        (Some(b), Some(a)) => (b, a),
    };
    let after_tree = objects::commit_tree(&o.repo, after)?;
    let before_tree = before
        .map(|b| objects::commit_tree(&o.repo, b))
        .transpose()?;
    let after_entry = entry_at(&o.repo, after_tree, &ap)?;
    let before_entry = match before_tree {
        Some(t) => entry_at(&o.repo, t, &bp)?,
        None => None,
    };
    if (!ap.is_empty() || !bp.is_empty()) && after_entry.is_none() && before_entry.is_none() {
        bail!(
            PathDoesNotExist,
            "The specified path does not exist: {}",
            if ap.is_empty() { &bp } else { &ap }
        )
    }
    let kind = format!(
        "differences/{}",
        fingerprint(&[
            &before.map(|b| b.to_string()).unwrap_or_default(),
            &after.to_string(),
            &bp,
            &ap
        ])
    );
    let start = paginate::decode_index(&kind, &input.next_token)?;
    let changes = diff_entries(&o.repo, before_entry, after_entry, &bp, &ap)?;
    if start > changes.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + page).min(changes.len());
    let blob = |path: &str, e: &crate::git::objects::Entry| BlobMetadata {
        blob_id: Some(e.id.to_string()),
        path: Some(path.to_owned()),
        mode: Some(octal_mode(e.kind).to_owned()),
    };
    let differences = changes[start..end]
        .iter()
        .map(|c| Difference {
            before_blob: c.before.as_ref().map(|e| blob(&c.before_path, e)),
            after_blob: c.after.as_ref().map(|e| blob(&c.after_path, e)),
            change_type: Some(match (&c.before, &c.after) {
                (None, _) => ChangeTypeEnum::A,
                (_, None) => ChangeTypeEnum::D,
                _ => ChangeTypeEnum::M,
            }),
        })
        .collect();
    let next = (end < changes.len()).then(|| paginate::encode(&kind, &end.to_string()));
    Ok(GetDifferencesOutput {
        differences: Some(differences),
        next_token: next,
    })
}

fn blob_arg(o: &super::Opened, raw: &str) -> ApiResult<(ObjectId, u64)> {
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
        bail!(
            FileTooLarge,
            "The specified blob is {size} bytes, which exceeds the maximum of {MAX_FILE_BYTES} bytes."
        )
    }
    Ok((id, size))
}

pub fn get_blob_differences(
    ctx: &Ctx<'_>,
    input: GetBlobDifferencesInput,
) -> ApiResult<GetBlobDifferencesOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let Some(after_raw) = validate::present(&input.after_blob_id) else {
        bail!(
            BlobIdRequired,
            "A blob ID is required, but was not specified."
        )
    };
    let context = input.context_lines.unwrap_or(3);
    if !(0..=20).contains(&context) {
        bail!(
            Validation,
            "The value of contextLines must be between 0 and 20."
        )
    }
    let page = paginate::page_size(input.max_results, HUNKS_PAGE, NO_MAX)?;
    let (after_id, after_size) = blob_arg(&o, after_raw)?;
    let before = validate::present(&input.before_blob_id)
        .map(|b| blob_arg(&o, b))
        .transpose()?;
    let ignore_ws = input.ignore_whitespace.unwrap_or(false);
    let kind = format!(
        "blob-differences/{}",
        fingerprint(&[
            &before.map(|b| b.0.to_string()).unwrap_or_default(),
            &after_id.to_string(),
            &context.to_string(),
            &ignore_ws.to_string()
        ])
    );
    let start = paginate::decode_index(&kind, &input.next_token)?;

    let after_data = read_blob(&o.repo, after_id)?;
    let before_data = match before {
        Some((id, _)) => read_blob(&o.repo, id)?,
        None => Vec::new(),
    };
    let binary = linediff::is_binary(&after_data) || linediff::is_binary(&before_data);
    let all = if binary {
        Vec::new()
    } else {
        linediff::hunks(&before_data, &after_data, context as u32, ignore_ws)
    };
    if start > all.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + page).min(all.len());
    let hunks = all[start..end]
        .iter()
        .map(|h| DiffHunk {
            before_start_line: Some(h.before_start as i32),
            before_line_count: Some(h.before_count as i32),
            after_start_line: Some(h.after_start as i32),
            after_line_count: Some(h.after_count as i32),
            changes: Some(
                h.lines
                    .iter()
                    .map(|l| DiffChange {
                        r#type: Some(match l.kind {
                            LineKind::Context => DiffChangeType::Context,
                            LineKind::Add => DiffChangeType::Add,
                            LineKind::Delete => DiffChangeType::Delete,
                        }),
                        before_line_number: l.before.map(|n| n as i32),
                        after_line_number: l.after.map(|n| n as i32),
                        content: Some(l.content.clone()),
                    })
                    .collect(),
            ),
        })
        .collect();
    Ok(GetBlobDifferencesOutput {
        hunks: Some(hunks),
        is_binary: Some(binary),
        before_blob_size: Some(before.map(|b| b.1 as i64).unwrap_or(0)),
        after_blob_size: Some(after_size as i64),
        next_token: (end < all.len()).then(|| paginate::encode(&kind, &end.to_string())),
    })
}
