//! Input rules shared by several operations. Each check names the exception AWS raises for it
//! (codecommit-facts.md §1 "Names and strings").

use crate::bail;
use crate::error::ApiResult;
use std::collections::BTreeMap;

/// A required string member: absent and empty both count as missing (the SDKs do not all
/// enforce the model's `min: 1`).
pub fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Repository names: 1–100 of `[A-Za-z0-9._-]`, not ending in `.git` (model pattern `[\w\.-]+`).
pub fn is_valid_repository_name(name: &str) -> bool {
    // ASCII only, so bytes are characters; checked on every call that names a repository,
    // hence no lowercased copy for the `.git` suffix.
    !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !(name.len() >= 4 && name[name.len() - 4..].eq_ignore_ascii_case(".git"))
        // `.` and `..` would be path segments in clone URLs.
        && name != "."
        && name != ".."
}

pub fn repository_name(v: &Option<String>) -> ApiResult<&str> {
    let Some(name) = present(v) else {
        bail!(
            RepositoryNameRequired,
            "A repository name is required, but was not specified."
        )
    };
    check_repository_name(name)?;
    Ok(name)
}

pub fn check_repository_name(name: &str) -> ApiResult<()> {
    if !is_valid_repository_name(name) {
        bail!(
            InvalidRepositoryName,
            "The repository name '{}' is not valid. Repository names can be any valid combination of letters, numbers, periods, underscores, and dashes between 1 and 100 characters in length, and cannot end in .git.",
            printable(name)
        )
    }
    Ok(())
}

pub fn repository_description(v: &Option<String>) -> ApiResult<()> {
    if let Some(d) = v
        && d.chars().count() > 1000
    {
        bail!(
            InvalidRepositoryDescription,
            "The repository description is not valid. Descriptions can be no more than 1,000 characters in length."
        )
    }
    Ok(())
}

/// Branch names follow `git check-ref-format --branch` plus CodeCommit's own rules: 1–256
/// characters, not exactly 40 hex digits.
pub fn is_valid_branch_name(name: &str) -> bool {
    if name.is_empty() || name.chars().count() > 256 || name == "@" || name == "HEAD" {
        return false;
    }
    if name.len() == 40 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    is_valid_ref_tail(name)
}

pub use crate::git::objects::is_valid_ref_tail;

pub fn branch_name(v: &Option<String>) -> ApiResult<&str> {
    let Some(name) = present(v) else {
        bail!(
            BranchNameRequired,
            "A branch name is required, but was not specified."
        )
    };
    if !is_valid_branch_name(name) {
        bail!(
            InvalidBranchName,
            "The specified branch name is not valid: {}",
            printable(name)
        )
    }
    Ok(name)
}

/// A branch an API write creates must fit git's storage: no part between slashes longer than
/// 250 bytes (a file name plus `.lock`). AWS has no such limit; names of up to 256 characters
/// in one part cannot be stored here and are refused as not valid.
pub fn storable_branch_name(name: &str) -> ApiResult<()> {
    if name
        .split('/')
        .any(|c| c.len() > crate::git::MAX_REF_COMPONENT_BYTES)
    {
        bail!(
            InvalidBranchName,
            "The specified branch name is not valid: {}. codecommit-local stores each branch as a file, so no part of a branch name between slashes can be longer than {} bytes.",
            printable(name),
            crate::git::MAX_REF_COMPONENT_BYTES
        )
    }
    Ok(())
}

/// KMS key ids, ARNs and aliases (model pattern `^[a-zA-Z0-9:/_-]+$`).
pub fn kms_key_id(key: &str) -> ApiResult<()> {
    let ok = !key.is_empty()
        && key.len() <= 2048
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'));
    if !ok {
        bail!(
            EncryptionKeyInvalidId,
            "The Key Management Service encryption key is not valid: {}",
            printable(key)
        )
    }
    Ok(())
}

/// Tag keys: 1–128 Unicode letters, digits, spaces and `_ . : / = + - @`; values the same
/// characters, 0–256 long. `aws:` keys are reserved.
fn is_tag_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

pub fn is_valid_tag_key(k: &str) -> bool {
    let n = k.chars().count();
    (1..=128).contains(&n) && is_tag_text(k)
}

pub fn is_valid_tag_value(v: &str) -> bool {
    v.chars().count() <= 256 && is_tag_text(v)
}

pub fn is_system_tag_key(k: &str) -> bool {
    k.to_ascii_lowercase().starts_with("aws:")
}

pub fn tags_map(tags: &BTreeMap<String, String>) -> ApiResult<()> {
    for (k, v) in tags {
        if is_system_tag_key(k) {
            bail!(
                InvalidSystemTagUsage,
                "The tag key '{}' is not valid: the 'aws:' prefix is reserved for system use.",
                printable(k)
            )
        }
        if !is_valid_tag_key(k) || !is_valid_tag_value(v) {
            bail!(
                InvalidTagsMap,
                "The map of tags is not valid: tag '{}' has an invalid key or value.",
                printable(k)
            )
        }
    }
    if tags.len() > 50 {
        bail!(
            TooManyTags,
            "The maximum number of tags for a repository is 50."
        )
    }
    Ok(())
}

/// Longest file path CodeCommit accepts, and its deepest folder nesting (codecommit-facts.md §1).
pub const MAX_PATH_LEN: usize = 4096;
pub const MAX_PATH_DEPTH: usize = 20;

/// A repository path as the API takes it (`/a/b.txt` or `a/b.txt`) in canonical form
/// (`a/b.txt`). `None` when it is not a valid path: empty components, `.` or `..`, a `.git`
/// component, NUL. A trailing slash is allowed only for folders. Length and depth are limits
/// on the paths an API write creates (`new_file_path`): a push may hold deeper or longer
/// paths, and the API still reads and deletes those.
pub fn normalize_path(path: &str, folder: bool) -> Option<String> {
    if path.contains('\0') {
        return None;
    }
    let mut p = path.strip_prefix('/').unwrap_or(path);
    if folder {
        p = p.strip_suffix('/').unwrap_or(p);
        if p.is_empty() {
            return Some(String::new());
        }
    }
    if p.is_empty() {
        return None;
    }
    if !p.split('/').all(is_valid_component) {
        return None;
    }
    Some(p.to_owned())
}

/// git's own rules for a tree entry name, as `git fsck` applies them to every tree (so a
/// fsck-checking clone accepts what the API writes): not empty, `.` or `..`, and no name that
/// NTFS or HFS+ would open as `.git` (`.GIT`, `git~1`, `.git.`, `.git `, `.git::$INDEX_ALLOCATION`,
/// `.g\u{200c}it`, …). Checked with gix's implementation of git's `verify_path` rules.
fn is_valid_component(c: &str) -> bool {
    use gix::bstr::ByteSlice as _;
    gix::validate::path::component(c.as_bytes().as_bstr(), None, COMPONENT_RULES).is_ok()
}

/// The NTFS and HFS+ protections `git fsck` always applies; not the Windows-only ones
/// (`aux`, `a:b`, trailing dots of other names), which fsck does not flag.
const COMPONENT_RULES: gix::validate::path::component::Options =
    gix::validate::path::component::Options {
        protect_windows: false,
        protect_hfs: true,
        protect_ntfs: true,
    };

/// A symbolic link may not be named `.gitmodules` (or an NTFS/HFS+ equivalent): git fsck
/// refuses such trees (`gitmodulesSymlink`).
pub fn check_symlink_path(path: &str, kind: gix::objs::tree::EntryKind) -> ApiResult<()> {
    use gix::bstr::ByteSlice as _;
    if kind != gix::objs::tree::EntryKind::Link {
        return Ok(());
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let mode = Some(gix::validate::path::component::Mode::Symlink);
    if gix::validate::path::component(name.as_bytes().as_bstr(), mode, COMPONENT_RULES).is_err() {
        bail!(
            InvalidPath,
            "The specified path is not valid: {}. A symbolic link cannot be named .gitmodules.",
            printable(path)
        )
    }
    Ok(())
}

/// A required file path: `PathRequiredException` / `InvalidPathException`.
pub fn file_path(v: &Option<String>) -> ApiResult<String> {
    let Some(raw) = present(v) else {
        bail!(
            PathRequired,
            "The file path is required, but was not specified."
        )
    };
    normalize_path(raw, false).ok_or_else(|| {
        crate::err!(
            InvalidPath,
            "The specified path is not valid: {}",
            printable(raw)
        )
    })
}

/// Whether a canonical path is within CodeCommit's limits for files it creates: at most 4,096
/// characters and 20 folders deep (codecommit-facts.md §1).
pub fn within_path_limits(path: &str) -> bool {
    path.chars().count() <= MAX_PATH_LEN && path.split('/').count() <= MAX_PATH_DEPTH + 1
}

/// A required path of a file that an API write creates or overwrites: `file_path` plus the
/// length and depth limits.
pub fn new_file_path(v: &Option<String>) -> ApiResult<String> {
    let path = file_path(v)?;
    if !within_path_limits(&path) {
        bail!(
            InvalidPath,
            "The specified path is not valid: {}. File paths can be at most {MAX_PATH_LEN} characters long and {MAX_PATH_DEPTH} folders deep.",
            printable(&path)
        )
    }
    Ok(path)
}

/// A required folder path; `/` (or an empty string) is the root.
pub fn folder_path(v: &Option<String>) -> ApiResult<String> {
    let Some(raw) = v.as_deref() else {
        bail!(
            PathRequired,
            "The folder path is required, but was not specified."
        )
    };
    normalize_path(raw, true).ok_or_else(|| {
        crate::err!(
            InvalidPath,
            "The specified path is not valid: {}",
            printable(raw)
        )
    })
}

/// For messages: the value as sent (AWS echoes it), but with control characters escaped and
/// long values cut. Quotes and non-ASCII letters stay as they are: the JSON encoding of the
/// message carries them.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(800));
    for c in s.chars().take(200) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_keeps_what_was_sent_but_control_characters() {
        assert_eq!(printable("brü 'a\"b'"), "brü 'a\"b'");
        assert_eq!(printable("a\tb\nc\u{1b}"), "a\\tb\\nc\\u{1b}");
        assert_eq!(printable(&"é".repeat(300)), format!("{}…", "é".repeat(200)));
    }

    #[test]
    fn repository_names() {
        for ok in [
            "a",
            "my-app",
            "My_App.v2",
            &"x".repeat(100),
            "git",
            "agit",
            ".gitx",
        ] {
            assert!(is_valid_repository_name(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "a/b",
            "a.git",
            "A.GIT",
            ".git",
            "x.Git",
            "..",
            ".",
            "é",
            &"x".repeat(101),
            "a\0b",
            "a@b",
        ] {
            assert!(!is_valid_repository_name(bad), "{bad}");
        }
    }

    #[test]
    fn branch_names() {
        for ok in ["main", "feature/x", "v1.0", "a-b_c", "refs/heads/main", "ü"] {
            assert!(is_valid_branch_name(ok), "{ok}");
        }
        for bad in [
            "",
            "@",
            "a..b",
            "a//b",
            "/a",
            "a/",
            "a.",
            ".a",
            "a b",
            "a~b",
            "a^b",
            "a:b",
            "a?b",
            "a*b",
            "a[b",
            "a\\b",
            "a@{b",
            "x.lock",
            "a/.b",
            "0123456789012345678901234567890123456789",
            "a\tb",
        ] {
            assert!(!is_valid_branch_name(bad), "{bad:?}");
        }
        assert!(!is_valid_branch_name(&"b".repeat(257)));
    }

    #[test]
    fn paths() {
        assert_eq!(
            normalize_path("/a/b.txt", false).as_deref(),
            Some("a/b.txt")
        );
        assert_eq!(normalize_path("a/b.txt", false).as_deref(), Some("a/b.txt"));
        assert_eq!(normalize_path("/", true).as_deref(), Some(""));
        assert_eq!(normalize_path("", true).as_deref(), Some(""));
        assert_eq!(normalize_path("dir/", true).as_deref(), Some("dir"));
        for bad in [
            "",
            "/",
            "a//b",
            "a/../b",
            "../a",
            "./a",
            "a/.git/config",
            ".GIT",
            "git~1/config",
            "GIT~1/config",
            ".git./config",
            ".git /config",
            ".git\u{200c}/config",
            "a/.g\u{200d}it/x",
            ".\u{feff}git",
            ".git::$INDEX_ALLOCATION/config",
            "a\0b",
            "a/",
            "//a",
        ] {
            assert_eq!(normalize_path(bad, false), None, "{bad:?}");
        }
        for ok in [
            "git",
            ".gitx",
            ".github/x",
            "git~2",
            "a./b",
            "aux",
            "a b/c",
            ".gitmodules",
        ] {
            assert!(normalize_path(ok, false).is_some(), "{ok:?}");
        }
        assert!(within_path_limits("a/".repeat(21).trim_end_matches('/')));
        assert!(!within_path_limits("a/".repeat(22).trim_end_matches('/')));
        assert!(within_path_limits(&"é".repeat(4096)));
        assert!(!within_path_limits(&"a".repeat(4097)));
        // Reads and deletes take any depth and length a push may have made.
        assert!(normalize_path("a/".repeat(30).trim_end_matches('/'), false).is_some());
        assert!(normalize_path(&"a".repeat(5000), false).is_some());
    }

    #[test]
    fn tags() {
        let mut t = BTreeMap::new();
        t.insert("team".to_string(), "a b+c=d@e".to_string());
        assert!(tags_map(&t).is_ok());
        t.insert("aws:x".to_string(), "v".to_string());
        assert!(
            tags_map(&t)
                .unwrap_err()
                .is(codecommit_model::ErrorCode::InvalidSystemTagUsage)
        );
        let mut t = BTreeMap::new();
        t.insert("bad!".to_string(), "v".to_string());
        assert!(
            tags_map(&t)
                .unwrap_err()
                .is(codecommit_model::ErrorCode::InvalidTagsMap)
        );
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(
            tags_map(&many)
                .unwrap_err()
                .is(codecommit_model::ErrorCode::TooManyTags)
        );
    }
}
