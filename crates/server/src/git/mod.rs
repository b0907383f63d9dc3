//! Everything that touches git objects and refs: bare repositories on disk by repository id,
//! cached gix handles, per-repository writer locks, and the smart-HTTP transport that runs the
//! real `git` binary.

pub mod commitgraph;
pub mod diff;
pub mod history;
pub mod linediff;
pub mod maintenance;
pub mod merge;
pub mod objects;
pub mod transport;
pub mod write;

use crate::error::{ApiResult, Internal as _};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The longest part (between slashes) of a ref name git can store as a file: the file
/// system's 255 bytes, less the `.lock` suffix git writes first.
pub const MAX_REF_COMPONENT_BYTES: usize = 250;

/// Whether a ref named `name` can exist as a file under `git_dir` (files ref backend): every
/// part fits in a file name and the whole lock path within `PATH_MAX`. A name that does not
/// fit can only be "not found", never a file-system error.
pub fn ref_fits_on_disk(git_dir: &Path, name: &str) -> bool {
    name.split('/').all(|c| c.len() <= MAX_REF_COMPONENT_BYTES)
        && git_dir.as_os_str().len() + 1 + name.len() + ".lock".len() < 4096
}

/// Whether a failure is the file system refusing a name as too long (ENAMETOOLONG), anywhere
/// in its chain of causes.
pub fn is_name_too_long(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::InvalidFilename
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Hidden refs (never advertised, never pushable) that keep unreferenced merge commits alive.
pub const HIDDEN_REF_PREFIX: &str = "refs/codecommit-local/";

/// The hooks receive-pack runs (`core.hooksPath` is set per command, so API writes and other
/// git commands never run them). They are plain shell: each costs one fork per push.
///
/// * `pre-receive` refuses pushes of more than 4,000 refs (CodeCommit quota), pushes that
///   delete the default branch, which CodeCommit does not allow (User Guide, "Delete a
///   branch"), and branches the API could not name (more than 256 characters, or exactly 40
///   hex digits). git's own "current branch" check is switched off so this message is the
///   one users see.
/// * `post-receive` copies git's "old new ref" lines into the file the server names in
///   `CODECOMMIT_LOCAL_EVENTS`. receive-pack runs it after the refs moved and before it exits,
///   so when the child is gone the file holds exactly the ref changes the push applied.
const HOOKS: &[(&str, &str)] = &[
    (
        "pre-receive",
        r#"#!/bin/sh
# Written by codecommit-local: policy checks before any ref moves.
n=0
while read -r old new ref; do
  n=$((n + 1))
  case "$new" in *[!0]*)
    # A created or moved branch must have a name the API accepts (facts §1, names).
    case "$ref" in refs/heads/*)
      b=${ref#refs/heads/}
      if [ "${#b}" -gt 256 ]; then
        echo "error: branch names can be at most 256 characters long: $b" >&2
        exit 1
      fi
      if [ "${#b}" -eq 40 ]; then
        case "$b" in *[!0-9a-fA-F]*) ;; *)
          echo "error: branch names of exactly 40 hexadecimal characters are not allowed: $b" >&2
          exit 1 ;;
        esac
      fi ;;
    esac
    continue ;;
  esac
  if [ -n "$CODECOMMIT_LOCAL_DEFAULT_BRANCH" ] && [ "$ref" = "refs/heads/$CODECOMMIT_LOCAL_DEFAULT_BRANCH" ]; then
    echo "error: $CODECOMMIT_LOCAL_DEFAULT_BRANCH is the default branch of this repository and cannot be deleted. Make another branch the default branch first." >&2
    exit 1
  fi
done
if [ "$n" -gt 4000 ]; then
  echo "error: a push can change at most 4000 references; this one changes $n." >&2
  exit 1
fi
exit 0
"#,
    ),
    (
        "post-receive",
        "#!/bin/sh\n# Written by codecommit-local; records the ref changes of a push.\nif [ -n \"$CODECOMMIT_LOCAL_EVENTS\" ]; then exec cat > \"$CODECOMMIT_LOCAL_EVENTS\"; fi\nexec cat >/dev/null\n",
    ),
];

/// Hooks of earlier versions that must not linger in the hooks directory.
const RETIRED_HOOKS: &[&str] = &["update"];

/// Objects one request may keep decompressed. A merge reads each base tree twice (base→source,
/// base→destination) and many trees are deltas; a small per-request cache saves re-inflating
/// them. It lives as long as the request's handle.
const REQUEST_OBJECT_CACHE_BYTES: usize = 4 * 1024 * 1024;

fn with_object_cache(mut repo: gix::Repository) -> gix::Repository {
    repo.object_cache_size_if_unset(REQUEST_OBJECT_CACHE_BYTES);
    repo
}

/// A shared gix handle and the number of pack indices its object store can hold. gix sizes
/// that slot map once, when the handle is opened, and a store that later finds more indices
/// on disk than it has slots fails every object read ("too few index slots"). Every push adds
/// a pack (`receive.unpackLimit=1`), so the handle is replaced once the indices on disk fill
/// half its slots ([`GitStore::packs_added`]); maintenance brings their number back down.
struct Handle {
    shared: gix::ThreadSafeRepository,
    slots: usize,
}

/// The fewest index slots a handle gets (a slot costs a few dozen bytes).
const MIN_INDEX_SLOTS: usize = 256;

/// Pack indices (and a multi-pack index) in a repository's `objects/pack`: at least what its
/// object store needs slots for (packs a multi-pack index covers need none of their own).
fn pack_indices(repo: &Path) -> usize {
    std::fs::read_dir(repo.join("objects/pack"))
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.as_encoded_bytes();
                    name.ends_with(b".idx") || name == b"multi-pack-index"
                })
                .count()
        })
        .unwrap_or(0)
}

pub struct GitStore {
    repos_dir: PathBuf,
    pub hooks_dir: PathBuf,
    pub tmp_dir: PathBuf,
    /// An empty directory used as HOME for git children, so no user configuration leaks in.
    pub home_dir: PathBuf,
    pub git_binary: PathBuf,
    handles: Mutex<HashMap<String, Handle>>,
    write_locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    history: Mutex<HashMap<String, Arc<Mutex<history::HistoryIndex>>>>,
    graphs: Mutex<HashMap<String, Arc<commitgraph::CommitGraph>>>,
    /// upload-pack's protocol v2 capability advertisement by `GIT_PROTOCOL` value. It names no
    /// refs and depends only on the git binary and the settings every child gets (all
    /// repositories are SHA-1 and configured alike), so it is made once: a v2 fetch then
    /// starts two `git` processes instead of three.
    v2_advertisements: Mutex<HashMap<String, bytes::Bytes>>,
}

/// The first file named `program` in the directories of `PATH`.
pub(crate) fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

impl GitStore {
    pub fn open(data_dir: &Path, git_binary: PathBuf) -> std::io::Result<GitStore> {
        // A bare program name is looked up once: children run with a cleared environment, and
        // std only spawns those with posix_spawn (vfork) when the program is a path; otherwise
        // it forks, which copies the page tables of the whole server on every push and fetch.
        let git_binary = match git_binary.to_str() {
            Some(name) if !name.contains('/') => find_in_path(name).unwrap_or(git_binary),
            _ => git_binary,
        };
        let repos_dir = data_dir.join("repos");
        let hooks_dir = data_dir.join("hooks");
        let tmp_dir = data_dir.join("tmp");
        let home_dir = data_dir.join("git-home");
        for dir in [&repos_dir, &hooks_dir, &tmp_dir, &home_dir] {
            std::fs::create_dir_all(dir)?;
        }
        // Leftovers of requests that were cut off by a crash.
        for entry in std::fs::read_dir(&tmp_dir)?.flatten() {
            let _ = std::fs::remove_file(entry.path())
                .or_else(|_| std::fs::remove_dir_all(entry.path()));
        }
        for (name, script) in HOOKS {
            write_executable(&hooks_dir.join(name), script)?;
        }
        for name in RETIRED_HOOKS {
            let _ = std::fs::remove_file(hooks_dir.join(name));
        }
        Ok(GitStore {
            repos_dir,
            hooks_dir,
            tmp_dir,
            home_dir,
            git_binary,
            handles: Mutex::new(HashMap::new()),
            write_locks: Mutex::new(HashMap::new()),
            history: Mutex::new(HashMap::new()),
            graphs: Mutex::new(HashMap::new()),
            v2_advertisements: Mutex::new(HashMap::new()),
        })
    }

    /// The cached v2 advertisement for this `GIT_PROTOCOL` value, if one was made.
    pub fn v2_advertisement(&self, protocol: &str) -> Option<bytes::Bytes> {
        self.v2_advertisements.lock().get(protocol).cloned()
    }

    /// Keeps a v2 advertisement (a handful of distinct `GIT_PROTOCOL` values are kept).
    pub fn keep_v2_advertisement(&self, protocol: &str, advertisement: bytes::Bytes) {
        let mut cache = self.v2_advertisements.lock();
        if cache.len() < 16 {
            cache.insert(protocol.to_owned(), advertisement);
        }
    }

    /// The directory that holds every repository as `<id>.git`.
    pub fn repos_dir(&self) -> &Path {
        &self.repos_dir
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.repos_dir.join(format!("{id}.git"))
    }

    /// Creates an empty bare repository (SHA-1, files ref backend) whose HEAD names `main`.
    /// It is assembled under a temporary name and renamed into place, so a crash never leaves
    /// a half-made repository under a real id.
    pub fn init(&self, id: &str) -> ApiResult<()> {
        let tmp = self.tmp_dir.join(format!("init-{id}"));
        let build = || -> std::io::Result<()> {
            for dir in [
                "objects/info",
                "objects/pack",
                "refs/heads",
                "refs/tags",
                "info",
            ] {
                std::fs::create_dir_all(tmp.join(dir))?;
            }
            std::fs::write(tmp.join("HEAD"), "ref: refs/heads/main\n")?;
            std::fs::write(
                tmp.join("config"),
                "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n\tlogallrefupdates = false\n",
            )?;
            std::fs::rename(&tmp, self.path(id))
        };
        build().internal("creating the bare repository")
    }

    /// Removes a repository's directory and forgets its handle.
    pub fn remove(&self, id: &str) {
        self.handles.lock().remove(id);
        self.write_locks.lock().remove(id);
        self.history.lock().remove(id);
        self.graphs.lock().remove(id);
        let path = self.path(id);
        // Rename first so a half-deleted directory is never mistaken for a repository.
        let doomed = self
            .tmp_dir
            .join(format!("deleted-{id}-{}", uuid::Uuid::new_v4()));
        let target = if std::fs::rename(&path, &doomed).is_ok() {
            doomed
        } else {
            path
        };
        if let Err(e) = std::fs::remove_dir_all(&target)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(repository_id = id, error = %e, "could not remove repository directory");
        }
    }

    /// Forgets all handles and removes all repositories (the `/reset` endpoint).
    pub fn clear(&self) -> std::io::Result<()> {
        self.handles.lock().clear();
        self.write_locks.lock().clear();
        self.history.lock().clear();
        self.graphs.lock().clear();
        for entry in std::fs::read_dir(&self.repos_dir)?.flatten() {
            let doomed = self.tmp_dir.join(format!("reset-{}", uuid::Uuid::new_v4()));
            if std::fs::rename(entry.path(), &doomed).is_ok() {
                std::fs::remove_dir_all(&doomed)?;
            }
        }
        Ok(())
    }

    /// Repository ids that have a directory on disk.
    pub fn ids_on_disk(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.repos_dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".git"))
                    .map(str::to_owned)
            })
            .collect()
    }

    /// A thread-local gix handle on a repository; the shared handle is opened once and cached.
    pub fn repo(&self, id: &str) -> ApiResult<gix::Repository> {
        if let Some(h) = self.handles.lock().get(id) {
            return Ok(with_object_cache(h.shared.to_thread_local()));
        }
        let path = self.path(id);
        // gix counts slots in a u16.
        let slots =
            u16::try_from((pack_indices(&path) * 4).max(MIN_INDEX_SLOTS)).unwrap_or(u16::MAX);
        let options = gix::open::Options::isolated()
            .object_store_slots(gix::odb::store::init::Slots::Given(slots))
            .open_path_as_is(true)
            .strict_config(false)
            // Tree walks over packed history resolve long delta chains; a bigger delta-base
            // cache than gix's 64-entry default keeps shared bases decoded within a request.
            .config_overrides(["core.deltaBaseCacheLimit=32m"]);
        let shared = gix::ThreadSafeRepository::open_opts(path, options)
            .internal("opening the repository")?;
        let repo = shared.to_thread_local();
        self.handles.lock().insert(
            id.to_owned(),
            Handle {
                shared,
                slots: usize::from(slots),
            },
        );
        Ok(with_object_cache(repo))
    }

    /// A push stored a pack: when the pack indices on disk fill half the slots of the cached
    /// handle, it is dropped, and the next call opens one with room for them (see [`Handle`]).
    /// Calls that hold the old handle finish with it; it still has room.
    pub fn packs_added(&self, id: &str) {
        let Some(slots) = self.handles.lock().get(id).map(|h| h.slots) else {
            return;
        };
        if pack_indices(&self.path(id)) * 2 > slots {
            self.handles.lock().remove(id);
        }
    }

    /// The lock that serializes API writers of one repository. Pushes are other processes and
    /// are not covered; ref updates are compare-and-swap for that reason.
    pub fn write_lock(&self, id: &str) -> Arc<Mutex<()>> {
        self.write_locks
            .lock()
            .entry(id.to_owned())
            .or_default()
            .clone()
    }

    /// The history index of a repository (see `history::HistoryIndex`).
    pub fn history_index(&self, id: &str) -> Arc<Mutex<history::HistoryIndex>> {
        self.history
            .lock()
            .entry(id.to_owned())
            .or_default()
            .clone()
    }

    /// The repository's commit-graph as maintenance last wrote it (read again when the file
    /// changes; one `stat` per call otherwise).
    pub fn commit_graph(&self, id: &str) -> Option<Arc<commitgraph::CommitGraph>> {
        let path = self.path(id);
        let Some(stamp) = commitgraph::CommitGraph::stamp_of(&path) else {
            self.graphs.lock().remove(id);
            return None;
        };
        if let Some(g) = self.graphs.lock().get(id)
            && g.stamp == stamp
        {
            return Some(g.clone());
        }
        let graph = Arc::new(commitgraph::CommitGraph::open(&path)?);
        self.graphs.lock().insert(id.to_owned(), graph.clone());
        Some(graph)
    }

    /// Points HEAD at a branch so clones check it out (the repository's default branch).
    pub fn set_head(&self, id: &str, branch: &str) -> ApiResult<()> {
        let path = self.path(id);
        let tmp = path.join(format!("HEAD.{}.tmp", uuid::Uuid::new_v4()));
        std::fs::write(&tmp, format!("ref: refs/heads/{branch}\n"))
            .and_then(|()| std::fs::rename(&tmp, path.join("HEAD")))
            .internal("updating HEAD")
    }
}

fn write_executable(path: &Path, content: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, path)
}

/// Refuses to start with a `git` older than 2.38 (protocol features and `merge-tree
/// --write-tree` the server relies on).
pub async fn check_version(git: &Path) -> Result<(), String> {
    let out = tokio::process::Command::new(git)
        .arg("--version")
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", git.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.trim().strip_prefix("git version ").unwrap_or("");
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if (major, minor) < (2, 38) {
        return Err(format!("git ≥ 2.38 is required, found '{}'", text.trim()));
    }
    Ok(())
}
