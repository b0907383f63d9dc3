//! Background repository maintenance with git's own commands, the way Gitaly and Gitea keep
//! their repositories: pushed packs are stored as they arrive and API commits leave loose
//! objects, so without it a repository never gets reachability bitmaps or a commit-graph.
//!
//! A run is two commands, both safe next to concurrent pushes, fetches and API writes by git's
//! own design:
//!
//! * `git repack -d --geometric=2 --write-midx --write-bitmap-index` rolls the small packs
//!   and all loose objects into one new pack (objects are copied whole from the packs it rolls
//!   up, reachable or not, so unreferenced merge commits and anything else kept survive; it
//!   never prunes), then writes a multi-pack index with a reachability bitmap. The new pack is
//!   in place before any old pack or loose object is deleted. gix readers that still had an
//!   old pack in view find it missing and retry with a fresh view of the pack directory
//!   (gix-odb's `load_with_recovery` → `load_one_index`), and git readers re-scan the same way.
//! * `git commit-graph write --reachable --changed-paths` (every ref, hidden ones included)
//!   with changed-path Bloom filters, which ListFileCommitHistory reads (`git::commitgraph`).
//!   Filters already in the graph are reused, so a rewrite costs the new commits.
//!
//! What triggers a run is the amount of new data since the last one: loose objects, and packs
//! (count and bytes) that the multi-pack index does not cover yet. Ref changes (pushes, API
//! writes) tell the worker which repository to look at; it measures on disk, so data that
//! arrived any way (a crash before bookkeeping, objects without a ref move) counts too, and
//! every repository is looked at once at startup. Runs are one repository at a time by default
//! (`jobs`), each under a per-repository lock, with `pack.threads` bounded and the git
//! children at a lower CPU priority (`nice`) when available. Nothing on the request path ever
//! waits for maintenance: API writes take their own lock, pushes and fetches are git processes.

use parking_lot::{Condvar, Mutex};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// When and how hard maintenance runs.
#[derive(Debug, Clone)]
pub struct MaintenanceConfig {
    /// Background maintenance on or off (runs requested explicitly still happen).
    pub enabled: bool,
    /// Loose objects (API commits, small pushes) that trigger a run.
    pub loose_objects: usize,
    /// Packs outside the multi-pack index that trigger a run.
    pub packs: usize,
    /// Bytes of packs outside the multi-pack index that trigger a run.
    pub pack_bytes: u64,
    /// Repositories maintained at the same time.
    pub jobs: usize,
    /// Threads one run's `git pack-objects` may use.
    pub threads: usize,
}

impl Default for MaintenanceConfig {
    fn default() -> Self {
        MaintenanceConfig {
            enabled: true,
            loose_objects: 512,
            packs: 8,
            pack_bytes: 4 * 1024 * 1024,
            jobs: 1,
            threads: 1,
        }
    }
}

/// What the worker found in a repository and what it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub repository_id: String,
    /// Whether the commands ran (the thresholds were crossed or the run was forced).
    pub ran: bool,
    /// The new data before the run.
    pub before: Pending,
    /// The first failure, if a command failed.
    pub error: Option<String>,
    pub millis: u64,
}

/// New data since the last run, as found on disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    pub loose_objects: usize,
    /// Packs the multi-pack index does not list.
    pub packs: usize,
    pub pack_bytes: u64,
    /// Whether the repository has a multi-pack index, and a commit-graph.
    pub has_midx: bool,
    pub has_graph: bool,
}

impl Pending {
    fn exceeds(&self, c: &MaintenanceConfig) -> bool {
        self.loose_objects >= c.loose_objects.max(1)
            || self.packs >= c.packs.max(1)
            || self.pack_bytes >= c.pack_bytes.max(1)
            // A run that wrote the index but not the graph (it failed or was cut short).
            || (self.has_midx && !self.has_graph)
    }
    /// Nothing that a run would change.
    fn is_settled(&self) -> bool {
        self.loose_objects == 0 && self.packs == 0 && (self.has_graph || !self.has_midx)
    }
}

struct Queue {
    order: VecDeque<String>,
    queued: HashSet<String>,
    running: HashSet<String>,
    /// Repositories measured lately and found below the thresholds are measured again only
    /// after this instant: a measure lists all 256 loose-object directories, and doing it
    /// after every API write cost as much as the write.
    not_before: HashMap<String, Instant>,
    stop: bool,
}

/// How long a repository found below the thresholds waits before it is measured again.
const REMEASURE_AFTER: Duration = Duration::from_millis(500);

struct Shared {
    config: MaintenanceConfig,
    repos_dir: PathBuf,
    home_dir: PathBuf,
    git_binary: PathBuf,
    /// `nice`, when the system has one: maintenance yields the CPU to requests.
    nice: Option<PathBuf>,
    queue: Mutex<Queue>,
    wake: Condvar,
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    reports: broadcast::Sender<Report>,
}

/// The maintenance scheduler of one server: a queue of repositories to look at and the
/// worker threads that maintain them.
pub struct Maintenance {
    shared: Arc<Shared>,
}

impl Maintenance {
    /// Starts the workers (when enabled). `repos_dir` holds `<id>.git`; `home_dir` is the
    /// empty HOME git children run with.
    pub fn start(
        config: MaintenanceConfig,
        repos_dir: PathBuf,
        home_dir: PathBuf,
        git_binary: PathBuf,
    ) -> Maintenance {
        let shared = Arc::new(Shared {
            nice: super::find_in_path("nice"),
            config,
            repos_dir,
            home_dir,
            git_binary,
            queue: Mutex::new(Queue {
                order: VecDeque::new(),
                queued: HashSet::new(),
                running: HashSet::new(),
                not_before: HashMap::new(),
                stop: false,
            }),
            wake: Condvar::new(),
            locks: Mutex::new(HashMap::new()),
            reports: broadcast::channel(256).0,
        });
        if shared.config.enabled {
            for n in 0..shared.config.jobs.max(1) {
                let s = shared.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("maintenance-{n}"))
                    .spawn(move || s.work());
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "could not start a maintenance worker");
                }
            }
        }
        Maintenance { shared }
    }

    /// Follows ref changes: every repository whose refs moved is looked at. Returns at once; a
    /// thread waits on the events until the sender goes away.
    pub fn follow(&self, mut events: broadcast::Receiver<crate::events::RefChange>) {
        if !self.shared.config.enabled {
            return;
        }
        let shared = self.shared.clone();
        let spawned = std::thread::Builder::new()
            .name("maintenance-events".into())
            .spawn(move || {
                loop {
                    match events.blocking_recv() {
                        Ok(change) => shared.notify(&change.repository_id),
                        // Missed some: the next change of those repositories brings them back;
                        // nothing is lost but a little promptness.
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                    if shared.queue.lock().stop {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the maintenance event listener");
        }
    }

    /// New data may have arrived in a repository: the worker measures it and maintains the
    /// repository if it crossed a threshold. Never blocks.
    pub fn notify(&self, id: &str) {
        self.shared.notify(id);
    }

    /// Maintains a repository now, on the calling thread, whatever the thresholds say (waits
    /// for a run of the same repository in progress).
    pub fn run_now(&self, id: &str) -> Report {
        self.shared.maintain(id, true)
    }

    /// The reports of the background runs (also of repositories it looked at and left alone).
    pub fn subscribe(&self) -> broadcast::Receiver<Report> {
        self.shared.reports.subscribe()
    }

    /// The new data in a repository, as the worker would measure it.
    pub fn pending(&self, id: &str) -> std::io::Result<Pending> {
        measure(&self.shared.repo_path(id))
    }
}

impl Drop for Maintenance {
    fn drop(&mut self) {
        self.shared.queue.lock().stop = true;
        self.shared.wake.notify_all();
    }
}

impl Shared {
    fn repo_path(&self, id: &str) -> PathBuf {
        self.repos_dir.join(format!("{id}.git"))
    }

    fn notify(&self, id: &str) {
        if !self.config.enabled {
            return;
        }
        let mut q = self.queue.lock();
        if q.queued.insert(id.to_owned()) {
            q.order.push_back(id.to_owned());
            drop(q);
            self.wake.notify_one();
        }
    }

    fn work(&self) {
        loop {
            let id = {
                let mut q = self.queue.lock();
                loop {
                    if q.stop {
                        return;
                    }
                    let now = Instant::now();
                    let ready = q.order.iter().position(|id| {
                        !q.running.contains(id) && q.not_before.get(id).is_none_or(|t| *t <= now)
                    });
                    if let Some(pos) = ready
                        && let Some(id) = q.order.remove(pos)
                    {
                        q.queued.remove(&id);
                        q.not_before.remove(&id);
                        q.running.insert(id.clone());
                        break id;
                    }
                    let next = q
                        .order
                        .iter()
                        .filter_map(|id| q.not_before.get(id))
                        .min()
                        .copied();
                    match next {
                        Some(at) => {
                            self.wake.wait_until(&mut q, at);
                        }
                        None => self.wake.wait(&mut q),
                    }
                }
            };
            let report = self.maintain(&id, false);
            {
                let mut q = self.queue.lock();
                q.running.remove(&id);
                if !report.ran {
                    q.not_before
                        .insert(id.clone(), Instant::now() + REMEASURE_AFTER);
                }
            }
            self.wake.notify_all();
            let _ = self.reports.send(report);
        }
    }

    fn lock_for(&self, id: &str) -> Arc<Mutex<()>> {
        self.locks.lock().entry(id.to_owned()).or_default().clone()
    }

    fn maintain(&self, id: &str, force: bool) -> Report {
        let started = Instant::now();
        let mut report = Report {
            repository_id: id.to_owned(),
            ..Report::default()
        };
        let path = self.repo_path(id);
        let lock = self.lock_for(id);
        let _held = lock.lock();
        let before = match measure(&path) {
            Ok(p) => p,
            Err(e) => {
                // Deleted meanwhile, most likely.
                tracing::debug!(repository_id = id, error = %e, "maintenance: repository not readable");
                report.error = Some(e.to_string());
                return report;
            }
        };
        report.before = before;
        let wanted = force || before.exceeds(&self.config);
        if !wanted || before.is_settled() {
            report.millis = started.elapsed().as_millis() as u64;
            return report;
        }
        report.ran = true;
        let threads = format!("pack.threads={}", self.config.threads.max(1));
        let steps: [&[&str]; 2] = [
            &[
                "-c",
                &threads,
                "repack",
                "-d",
                "-q",
                "--geometric=2",
                "--write-midx",
                "--write-bitmap-index",
            ],
            &[
                // Version 2 hashes paths with non-ASCII bytes correctly; older gits ignore
                // the setting and write version 1, which the reader understands too.
                "-c",
                "commitGraph.changedPathsVersion=2",
                "commit-graph",
                "write",
                "--reachable",
                "--changed-paths",
                "--no-progress",
            ],
        ];
        for args in steps {
            if let Err(e) = self.git(&path, args) {
                if path.is_dir() {
                    tracing::warn!(repository_id = id, error = %e, "maintenance step failed");
                }
                report.error = Some(e);
                break;
            }
        }
        report.millis = started.elapsed().as_millis() as u64;
        tracing::info!(
            target: "codecommit_local::maintenance",
            repository_id = id,
            loose_objects = before.loose_objects,
            packs = before.packs,
            pack_bytes = before.pack_bytes,
            ok = report.error.is_none(),
            ms = report.millis,
            "repository maintained"
        );
        report
    }

    /// Runs one git command in the repository with no user or system configuration.
    fn git(&self, repo: &Path, args: &[&str]) -> Result<(), String> {
        let mut cmd = match &self.nice {
            Some(nice) => {
                let mut c = Command::new(nice);
                c.args(["-n", "10"]).arg(&self.git_binary);
                c
            }
            None => Command::new(&self.git_binary),
        };
        cmd.env_clear();
        if let Some(p) = std::env::var_os("PATH") {
            cmd.env("PATH", p);
        }
        cmd.env("HOME", &self.home_dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .arg("--git-dir")
            .arg(repo)
            .args(["-c", "gc.auto=0", "-c", "core.hooksPath=/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = cmd.output().map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "git {} failed ({}): {}",
                args.iter()
                    .find(|a| !a.contains('=') && **a != "-c")
                    .unwrap_or(&""),
                out.status,
                stderr.chars().take(2000).collect::<String>().trim()
            ))
        }
    }
}

/// Counts the new data of a repository: loose objects, and packs the multi-pack index does
/// not list.
pub fn measure(repo: &Path) -> std::io::Result<Pending> {
    let objects = repo.join("objects");
    // The repository itself must be there; the fan-out directories are optional.
    std::fs::metadata(&objects)?;
    let mut loose = 0;
    for i in 0..=255u8 {
        if let Ok(entries) = std::fs::read_dir(objects.join(format!("{i:02x}"))) {
            loose += entries
                .flatten()
                .filter(|e| e.file_name().len() == 38)
                .count();
        }
    }
    let pack_dir = objects.join("pack");
    let midx = std::fs::read(pack_dir.join("multi-pack-index")).ok();
    let covered: HashSet<String> = midx.as_deref().map(midx_packs).unwrap_or_default();
    let (mut packs, mut pack_bytes) = (0, 0);
    if let Ok(entries) = std::fs::read_dir(&pack_dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(stem) = name.strip_suffix(".pack") else {
                continue;
            };
            if !stem.starts_with("pack-") || covered.contains(stem) {
                continue;
            }
            packs += 1;
            pack_bytes += e.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    Ok(Pending {
        loose_objects: loose,
        packs,
        pack_bytes,
        has_midx: midx.is_some(),
        has_graph: objects.join("info/commit-graph").is_file(),
    })
}

/// The packs (`pack-<hash>` stems) a multi-pack index lists: its PNAM chunk, NUL-separated
/// index file names.
fn midx_packs(data: &[u8]) -> HashSet<String> {
    let mut out = HashSet::new();
    if data.len() < 12 || &data[..4] != b"MIDX" {
        return out;
    }
    let chunks = data[6] as usize;
    for i in 0..chunks {
        let at = 12 + i * 12;
        let Some(entry) = data.get(at..at + 24) else {
            break;
        };
        if &entry[..4] != b"PNAM" {
            continue;
        }
        let start = u64::from_be_bytes(entry[4..12].try_into().unwrap_or_default()) as usize;
        let end = u64::from_be_bytes(entry[16..24].try_into().unwrap_or_default()) as usize;
        if let Some(names) = data.get(start..end) {
            for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
                if let Ok(name) = std::str::from_utf8(name) {
                    let stem = name.strip_suffix(".idx").unwrap_or(name);
                    out.insert(stem.to_owned());
                }
            }
        }
    }
    out
}
