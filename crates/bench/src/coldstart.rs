//! Cold start: spawn the server on a fresh data directory, wait for its "listening" line, send
//! one API request, and time spawn → answer. Then idle RSS from /proc.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Instant;

fn one_run(bin: &str, dir: &std::path::Path) -> Result<(f64, u64), String> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["--port", "0", "--data-dir"])
        .arg(dir)
        .env("CODECOMMIT_LOCAL_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .ok_or("server exited")?
            .map_err(|e| e.to_string())?;
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    let body = r#"{}"#;
    let mut s = TcpStream::connect(&addr).map_err(|e| e.to_string())?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CodeCommit_20150413.ListRepositories\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    if !answer.starts_with(b"HTTP/1.1 200") {
        return Err(format!(
            "unexpected answer: {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    Ok((elapsed, rss_kb))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let [bin, runs] = args else {
        return Err("coldstart BIN RUNS".into());
    };
    let runs: usize = runs.parse().map_err(|_| "RUNS must be a number")?;
    let base = std::env::temp_dir().join(format!("ccl-coldstart-{}", std::process::id()));
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for i in 0..runs {
        let dir = base.join(i.to_string());
        let (ms, kb) = one_run(bin, &dir)?;
        times.push(ms);
        rss.push(kb);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&base);
    times.sort_by(f64::total_cmp);
    rss.sort_unstable();
    println!(
        "coldstart\tmedian {:.1} ms\tmin {:.1} ms\tmax {:.1} ms\tidle RSS median {:.1} MB",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        rss[rss.len() / 2] as f64 / 1024.0
    );
    Ok(())
}
