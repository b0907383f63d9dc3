//! The shared state of a running server: configuration, metadata store, git storage, events.

use crate::config::Config;
use crate::events::Events;
use crate::events::deliver::Deliverer;
use crate::events::outbox::Outbox;
use crate::events::triggers::Triggers;
use crate::git::GitStore;
use crate::git::maintenance::Maintenance;
use crate::identity::Identities;
use crate::store::Store;
use std::fs::File;
use std::sync::Arc;

pub struct AppState {
    pub config: Config,
    /// Scheme, host and port that clone URLs start with, e.g. `http://localhost:4599`.
    pub base_url: String,
    pub store: Store,
    pub git: GitStore,
    pub events: Events,
    /// Who callers are: principals file, STS sessions (see `identity`).
    pub identities: Identities,
    /// The bytes of API request bodies held at once (`--max-body-memory`).
    pub body_memory: crate::protocol::body::BodyBudget,
    /// Background repository maintenance (repacks, bitmaps, commit-graphs).
    pub maintenance: Maintenance,
    /// Repository triggers (configurations, served from memory).
    pub triggers: Triggers,
    /// Events waiting for delivery, durable in SQLite.
    pub outbox: Outbox,
    /// SDK clients and the webhook client that deliver events.
    pub deliverer: Deliverer,
    /// When an answer last ended (the deliverer waits out bursts of requests).
    pub activity: Arc<crate::activity::Activity>,
    /// Held for the server's lifetime: one server per data directory.
    _lock: File,
}

#[derive(Debug)]
pub struct StartupError(pub String);

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartupError {}

/// How long a new server waits for the data directory's lock. A server that just stopped can
/// hold it a moment longer: a process forked from it (or from a program embedding it) shares
/// the lock's open file until that child execs.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

fn acquire(lock: &File) -> Result<(), std::fs::TryLockError> {
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

impl AppState {
    pub fn open(config: Config, base_url: String) -> Result<Arc<AppState>, StartupError> {
        let dir = &config.data_dir;
        std::fs::create_dir_all(dir)
            .map_err(|e| StartupError(format!("cannot create data dir {}: {e}", dir.display())))?;
        let lock = File::create(dir.join("lock"))
            .map_err(|e| StartupError(format!("cannot create lock file: {e}")))?;
        acquire(&lock).map_err(|_| {
            StartupError(format!(
                "another codecommit-local is already using the data dir {}",
                dir.display()
            ))
        })?;
        let store = Store::open(&dir.join("metadata.db"))
            .map_err(|e| StartupError(format!("metadata store: {e}")))?;
        let git = GitStore::open(dir, config.git_binary.clone())
            .map_err(|e| StartupError(format!("git storage in {}: {e}", dir.display())))?;
        let identities = Identities::open(
            &config.default_account,
            config.principals.as_deref(),
            &store,
        )
        .map_err(|e| StartupError(format!("identities: {e}")))?;
        let body_memory = crate::protocol::body::BodyBudget::new(config.max_body_memory);
        let events = Events::default();
        let maintenance = Maintenance::start(
            config.maintenance.clone(),
            git.repos_dir().to_owned(),
            git.home_dir.clone(),
            git.git_binary.clone(),
        );
        maintenance.follow(events.subscribe());
        let triggers =
            Triggers::load(&store).map_err(|e| StartupError(format!("triggers: {e}")))?;
        let outbox = Outbox::open(&store, &config.delivery)
            .map_err(|e| StartupError(format!("event outbox: {e}")))?;
        let deliverer = Deliverer::new(config.delivery.clone());
        let state = AppState {
            body_memory,
            config,
            base_url,
            store,
            git,
            events,
            identities,
            maintenance,
            triggers,
            outbox,
            deliverer,
            activity: Default::default(),
            _lock: lock,
        };
        state.reconcile();
        // Repositories that got data while no server ran (or before maintenance existed).
        for rec in state.store.all() {
            state.maintenance.notify(&rec.id);
        }
        Ok(Arc::new(state))
    }

    /// Repairs what a crash between two steps can leave behind: directories without metadata
    /// (a create or delete cut short) are removed, metadata without a directory gets an empty
    /// repository, repositories whose first push was not yet recorded get their default
    /// branch, and open pull requests catch up with their branches.
    fn reconcile(&self) {
        for id in self.git.ids_on_disk() {
            if !self.store.contains_id(&id) {
                tracing::warn!(repository_id = %id, "removing a repository directory without metadata");
                self.git.remove(&id);
            }
        }
        for rec in self.store.all() {
            if !self.git.path(&rec.id).is_dir() {
                tracing::warn!(repository = %rec.name, "repository directory missing; recreating it empty");
                if let Err(e) = self.git.init(&rec.id) {
                    tracing::error!(repository = %rec.name, error = %e, "could not recreate repository");
                }
            }
            if rec.default_branch.is_none() {
                crate::api::repositories::adopt_default_branch(self, &rec.id);
            }
        }
        crate::api::pull_requests::reconcile(self);
    }
}
