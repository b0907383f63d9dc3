//! Server configuration: what the command line (or its environment variables) decides.

use std::path::PathBuf;

/// Repositories per account and region (CodeCommit quota; codecommit-facts.md §1).
pub const DEFAULT_REPOSITORY_LIMIT: usize = 1000;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Where metadata (SQLite) and the bare git repositories live.
    pub data_dir: PathBuf,
    /// Region used when a request carries no SigV4 credential scope.
    pub default_region: String,
    /// Account used when a request carries no 12-digit access key id.
    pub default_account: String,
    /// Base URL put into clone URLs (e.g. `http://codecommit:4599`); derived from host and the
    /// bound port when unset.
    pub public_url: Option<String>,
    /// The `git` executable that serves the wire protocol.
    pub git_binary: PathBuf,
    /// Repositories per account and region (AWS's default quota is 1,000, adjustable).
    pub repository_limit: usize,
    /// How large a merge analysis may get before it is refused.
    pub merge_limits: crate::git::merge::MergeLimits,
    /// Background repository maintenance: on/off, what triggers a run, how hard it works.
    pub maintenance: crate::git::maintenance::MaintenanceConfig,
}

impl Config {
    /// A configuration for tests and embedding: loopback, a free port, the given data dir.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 0,
            data_dir: data_dir.into(),
            default_region: "us-east-1".into(),
            default_account: "000000000000".into(),
            public_url: None,
            git_binary: "git".into(),
            repository_limit: DEFAULT_REPOSITORY_LIMIT,
            merge_limits: Default::default(),
            maintenance: Default::default(),
        }
    }
}

/// The default data directory: `$XDG_DATA_HOME/codecommit-local`, else
/// `~/.local/share/codecommit-local`, else `./codecommit-local-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("codecommit-local");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/codecommit-local");
    }
    PathBuf::from("codecommit-local-data")
}
