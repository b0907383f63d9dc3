//! Runs the `git` CLI the way a user would, isolated from the machine's configuration: its own
//! HOME, no system config, no prompts, a fixed identity.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Git {
    home: tempfile::TempDir,
    /// Extra environment for every git command (CA bundle, AWS credentials, PATH, …).
    env: Vec<(String, std::ffi::OsString)>,
    /// Environment variables removed from every git command.
    removed: Vec<String>,
}

impl Default for Git {
    fn default() -> Self {
        Self::new()
    }
}

impl Git {
    pub fn new() -> Git {
        let home = tempfile::tempdir().expect("git home");
        Git {
            home,
            env: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Removes an environment variable from every git command of this runner.
    pub fn remove_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
        self.removed.push(key.to_owned());
    }

    /// Sets an environment variable for every git command of this runner.
    pub fn set_env(&mut self, key: &str, value: impl Into<std::ffi::OsString>) {
        self.env.retain(|(k, _)| k != key);
        self.removed.retain(|k| k != key);
        self.env.push((key.to_owned(), value.into()));
    }

    /// The runner's HOME.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// A fresh directory inside this runner's temp space.
    pub fn dir(&self, name: &str) -> PathBuf {
        let p = self.home.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn command(&self, cwd: &Path) -> Command {
        let mut cmd = Command::new("git");
        for k in &self.removed {
            cmd.env_remove(k);
        }
        cmd.current_dir(cwd)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "Test Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@example.com")
            .env("LC_ALL", "C")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "advice.detachedHead=false",
                "-c",
                "protocol.version=2",
            ]);
        cmd
    }

    /// Runs git and returns its output, whatever the exit status.
    pub fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(cwd).args(args).output().expect("git runs")
    }

    /// Runs git, asserts success, returns stdout (trimmed).
    pub fn ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.run(cwd, args);
        assert!(
            out.status.success(),
            "git {args:?} failed in {}:\nstdout: {}\nstderr: {}",
            cwd.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs git with `input` on its stdin, asserts success, returns stdout (trimmed).
    pub fn ok_with_input(&self, cwd: &Path, args: &[&str], input: &[u8]) -> String {
        use std::io::Write as _;
        let mut child = self
            .command(cwd)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("git runs");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs git, asserts failure, returns stderr.
    pub fn fails(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.run(cwd, args);
        assert!(
            !out.status.success(),
            "git {args:?} unexpectedly succeeded in {}: {}",
            cwd.display(),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// A new working repository with one commit per `(path, content)` list entry.
    pub fn init_with_commits(&self, name: &str, commits: &[&[(&str, &str)]]) -> PathBuf {
        let dir = self.dir(name);
        self.ok(&dir, &["init", "-q"]);
        for (i, files) in commits.iter().enumerate() {
            for (path, content) in *files {
                let p = dir.join(path);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent).unwrap();
                }
                std::fs::write(p, content).unwrap();
            }
            self.ok(&dir, &["add", "-A"]);
            self.ok(&dir, &["commit", "-q", "-m", &format!("commit {i}")]);
        }
        dir
    }

    /// Writes a file and commits it; returns the new commit id.
    pub fn commit_file(&self, dir: &Path, path: &str, content: &str, message: &str) -> String {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, content).unwrap();
        self.ok(dir, &["add", "-A"]);
        self.ok(dir, &["commit", "-q", "-m", message]);
        self.ok(dir, &["rev-parse", "HEAD"])
    }

    /// The runner's own temp directory (a neutral cwd for commands like `ls-remote`).
    pub fn root(&self) -> &Path {
        self.home.path()
    }

    /// `git clone URL` into a fresh directory `name`; returns the working directory.
    pub fn clone(&self, url: &str, name: &str) -> PathBuf {
        let dir = self.home.path().join(name);
        let target = dir.to_str().unwrap();
        self.ok(self.root(), &["clone", "-q", url, target]);
        dir
    }

    /// A new working repository with the given commits on `main`, its `origin` set to `url`,
    /// pushed. Returns the working directory.
    pub fn push_new(&self, url: &str, name: &str, commits: &[&[(&str, &str)]]) -> PathBuf {
        let dir = self.init_with_commits(name, commits);
        self.ok(&dir, &["remote", "add", "origin", url]);
        self.ok(&dir, &["push", "-q", "origin", "main"]);
        dir
    }

    /// `git ls-remote URL` (must succeed) as `(ref, id)` pairs.
    pub fn ls_remote(&self, url: &str) -> Vec<(String, String)> {
        self.ok(self.root(), &["ls-remote", url])
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(id, name)| (name.to_owned(), id.to_owned()))
            .collect()
    }

    /// The id a ref has on the remote, if it exists.
    pub fn remote_ref(&self, url: &str, name: &str) -> Option<String> {
        self.ls_remote(url)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id)
    }
}
