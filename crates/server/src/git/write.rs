//! Writing: commits from trees, and ref moves by compare-and-swap. Lock files are git's own
//! (`refs/heads/x.lock`), so API writes race safely with `git receive-pack` in other processes.

use super::objects::ref_target;
use crate::error::{ApiError, ApiResult, Internal as _};
use gix::ObjectId;
use gix::refs::Target;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

/// Who made an API commit. CodeCommit uses the same person as author and committer.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub seconds: i64,
}

impl Person {
    fn signature(&self) -> gix::actor::Signature {
        gix::actor::Signature {
            name: self.name.as_str().into(),
            email: self.email.as_str().into(),
            time: gix::date::Time {
                seconds: self.seconds,
                offset: 0,
            },
        }
    }
}

pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Runs an object write (a blob, a commit, a tree editor's trees) and runs it again once if
/// the first try lost a race with maintenance. gix writes a loose object by making sure its
/// `objects/xx` directory exists and then renaming a temporary file into it; `git repack -d`
/// (its prune-packed step) removes the fan-out directories it empties, and when that happens
/// in between, the rename fails. The second try makes the directory again. Objects are named
/// by their content, so writing one twice is harmless; nothing else is retried.
pub fn retrying<T, E: std::fmt::Display + std::fmt::Debug>(
    context: &str,
    mut write: impl FnMut() -> Result<T, E>,
) -> ApiResult<T> {
    match write() {
        Err(e) if lost_object_directory(&e) => {
            tracing::debug!(error = %e, "an object's directory went away while it was written; writing it again");
            write().internal(context)
        }
        r => r.internal(context),
    }
}

/// Whether gix failed to move a written object into place (its words, with the cause).
fn lost_object_directory(e: &impl std::fmt::Debug) -> bool {
    format!("{e:?}").contains("Could not persist loose object")
}

/// Writes a commit object (no ref moves).
pub fn write_commit(
    repo: &gix::Repository,
    tree: ObjectId,
    parents: &[ObjectId],
    who: &Person,
    message: &str,
) -> ApiResult<ObjectId> {
    let commit = gix::objs::Commit {
        tree,
        parents: parents.iter().copied().collect(),
        author: who.signature(),
        committer: who.signature(),
        encoding: None,
        message: message.into(),
        extra_headers: Vec::new(),
    };
    Ok(retrying("writing a commit", || repo.write_object(&commit))?.detach())
}

/// Why a compare-and-swap did not happen.
#[derive(Debug, PartialEq, Eq)]
pub enum CasFailure {
    /// The ref's value was not the expected one (someone else moved it first).
    Moved { actual: Option<ObjectId> },
}

/// Moves `name` from `expected` (`None`: must not exist) to `new` (`None`: delete), atomically.
pub fn compare_and_swap(
    repo: &gix::Repository,
    name: &str,
    expected: Option<ObjectId>,
    new: Option<ObjectId>,
) -> ApiResult<Result<(), CasFailure>> {
    let full_name: gix::refs::FullName = name
        .try_into()
        .map_err(|e| ApiError::internal("naming a reference", e))?;
    let previous = match expected {
        Some(id) => PreviousValue::MustExistAndMatch(Target::Object(id)),
        None => PreviousValue::MustNotExist,
    };
    let change = match new {
        Some(id) => Change::Update {
            log: LogChange {
                mode: RefLog::AndReference,
                force_create_reflog: false,
                message: "codecommit-local".into(),
            },
            expected: previous,
            new: Target::Object(id),
        },
        None => Change::Delete {
            expected: previous,
            log: RefLog::AndReference,
        },
    };
    let edit = RefEdit {
        change,
        name: full_name,
        deref: false,
    };
    let committer = gix::actor::Signature {
        name: "codecommit-local".into(),
        email: "".into(),
        time: gix::date::Time {
            seconds: now_seconds(),
            offset: 0,
        },
    };
    let mut time_buf = gix::date::parse::TimeBuf::default();
    match repo.edit_references_as([edit], Some(committer.to_ref(&mut time_buf))) {
        Ok(_) => Ok(Ok(())),
        Err(e) => {
            // Whether the ref moved under us, or something else broke.
            let actual = ref_target(repo, name)?;
            if actual != expected {
                Ok(Err(CasFailure::Moved { actual }))
            } else {
                Err(ApiError::internal("updating a reference", e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::retrying;

    #[test]
    fn a_write_that_lost_its_directory_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let init = std::process::Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(init.success());
        let repo = gix::open(dir.path()).unwrap();
        let data = b"raced with prune-packed";
        let id = gix::objs::compute_hash(repo.object_hash(), gix::objs::Kind::Blob, data).unwrap();
        // A file where the fan-out directory belongs: moving the object into place fails, as
        // it does when prune-packed removed the directory after gix made sure it existed.
        let fanout = dir
            .path()
            .join("objects")
            .join(&id.to_hex().to_string()[..2]);
        std::fs::write(&fanout, b"").unwrap();
        let mut tries = 0;
        let written = retrying("writing a blob", || {
            tries += 1;
            if tries == 2 {
                std::fs::remove_file(&fanout).unwrap();
            }
            repo.write_blob(data)
        })
        .unwrap();
        assert_eq!(tries, 2);
        assert_eq!(written.detach(), id);
        assert!(repo.find_object(id).is_ok());

        // Any other failure is not tried again.
        let mut tries = 0;
        let failed = retrying("writing", || {
            tries += 1;
            Err::<(), _>("the disk is full")
        });
        assert!(failed.is_err());
        assert_eq!(tries, 1);
    }
}
