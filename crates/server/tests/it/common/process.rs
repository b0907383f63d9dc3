//! The real binary as a child process: `Process` waits for its "listening" line and keeps
//! its log lines for the test to read.

use super::*;
use aws_sdk_codecommit::Client;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub const BIN: &str = env!("CARGO_BIN_EXE_codecommit-local");
pub const READY: &str = "codecommit-local listening on http://";

pub fn command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    // Every setting the binary reads from the environment is cleared, so the machine's
    // settings do not leak in.
    for (var, _) in std::env::vars_os() {
        let var_name = var.to_string_lossy();
        if var_name.starts_with("CODECOMMIT_LOCAL_") || var_name.starts_with("AWS_ENDPOINT_URL") {
            cmd.env_remove(var);
        }
    }
    cmd.env("CODECOMMIT_LOCAL_LOG", "warn")
        .args(["--host", "127.0.0.1", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// A running `codecommit-local` process; killed when dropped.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    pub fn start(data_dir: &Path) -> Process {
        Process::spawn(command(data_dir))
    }

    pub fn spawn(mut cmd: Command) -> Process {
        let mut child = cmd.spawn().expect("binary starts");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix(READY) {
                        break addr.trim().parse::<SocketAddr>().expect("address");
                    }
                    seen.push(line);
                }
                _ => {
                    let status = child.wait().unwrap();
                    panic!(
                        "server exited ({status}) before listening:\n{}",
                        seen.join("\n")
                    );
                }
            }
        };
        // Keep reading stderr so the server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(seen));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Process { child, addr, log }
    }

    pub fn client(&self) -> Client {
        self.client_in("AKIDEXAMPLE", DEFAULT_REGION)
    }

    pub fn client_in(&self, account: &str, region: &str) -> Client {
        client_for(&format!("http://{}", self.addr), account, region)
    }

    pub fn clone_url(&self, name: &str) -> String {
        format!("http://localhost:{}/v1/repos/{name}", self.addr.port())
    }

    /// Whether a log line holds every one of `parts`. stderr is read by another thread: this
    /// gives it a moment to catch up.
    pub fn has_log(&self, parts: &[&str]) -> bool {
        (0..100).any(|_| {
            let found =
                (self.log.lock().unwrap().iter()).any(|l| parts.iter().all(|p| l.contains(p)));
            if !found {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            found
        })
    }

    /// The log so far, for failure messages.
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// `kill -9` and reap.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let log = self.log.lock().unwrap();
            if !log.is_empty() {
                eprintln!("server log:\n{}", log.join("\n"));
            }
        }
    }
}
