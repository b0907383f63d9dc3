//! Reading history through the API, with git as the oracle: the shared working repository and helpers; the tests live in the submodules.

use crate::common::git::Git;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::Commit;
use std::path::PathBuf;

mod blob_diffs;
mod commits;
mod diffs;
mod history;

const UNKNOWN_ID: &str = "0123456789abcdef0123456789abcdef01234567";

/// A working repository pushed to the server, whose commits get explicit, increasing dates
/// (so that date-ordered listings are deterministic).
struct Work {
    git: Git,
    dir: PathBuf,
    clock: u64,
}

impl Work {
    fn new(url: &str) -> Work {
        let git = Git::new();
        let dir = git.dir("work");
        git.ok(&dir, &["init", "-q"]);
        git.ok(&dir, &["remote", "add", "origin", url]);
        Work {
            git,
            dir,
            clock: 1_600_000_000,
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        self.git.ok(&self.dir, args)
    }

    /// stdout untrimmed (diff output has meaningful trailing blanks).
    fn raw(&self, args: &[&str]) -> String {
        let out = self.git.run(&self.dir, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn remove(&self, path: &str) {
        std::fs::remove_file(self.dir.join(path)).unwrap();
    }

    fn rev(&self, spec: &str) -> String {
        self.ok(&["rev-parse", spec])
    }

    /// Runs a committing git command with the given author/committer dates.
    fn dated(&self, author: &str, committer: &str, args: &[&str]) {
        let out = self
            .git
            .command(&self.dir)
            .env("GIT_AUTHOR_DATE", author)
            .env("GIT_COMMITTER_DATE", committer)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stages everything and commits with exactly `message` (no cleanup); returns the id.
    fn commit_exact(&mut self, message: &str, author: &str, committer: &str) -> String {
        let msg = self.git.root().join("message.txt");
        std::fs::write(&msg, message).unwrap();
        self.ok(&["add", "-A"]);
        self.dated(
            author,
            committer,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "--cleanup=verbatim",
                "-F",
                msg.to_str().unwrap(),
            ],
        );
        self.rev("HEAD")
    }

    fn tick(&mut self) -> String {
        self.clock += 60;
        format!("{} +0200", self.clock)
    }

    /// Stages everything and commits at the next tick; returns the id.
    fn commit(&mut self, message: &str) -> String {
        let when = self.tick();
        self.commit_exact(&format!("{message}\n"), &when, &when)
    }

    /// `git merge --no-ff BRANCH` at the next tick (must merge cleanly); returns the id.
    fn merge(&mut self, branch: &str, message: &str) -> String {
        let when = self.tick();
        self.dated(
            &when,
            &when,
            &["merge", "-q", "--no-ff", "-m", message, branch],
        );
        self.rev("HEAD")
    }

    fn push(&self, refspecs: &[&str]) {
        let mut args = vec!["push", "-q", "origin"];
        args.extend_from_slice(refspecs);
        self.ok(&args);
    }
}

async fn get_commit(client: &Client, repo: &str, id: &str) -> Commit {
    client
        .get_commit()
        .repository_name(repo)
        .commit_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetCommit {id}: {e:?}"))
        .commit
        .unwrap()
}

fn numbered(range: std::ops::RangeInclusive<u32>) -> String {
    range.map(|i| format!("line {i}\n")).collect()
}
