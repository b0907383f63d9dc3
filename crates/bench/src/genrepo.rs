//! Synthetic repositories through `git fast-import`: deterministic, fast, any size.
//!
//! Layout: `src/mNN/pNN/lNN/file-NNNN.txt` (files five levels deep), `big/f-NNNN.txt` (one wide
//! folder), `hot/history.txt` (changed in `hot-versions` commits spread over the history).

use std::io::Write;
use std::process::{Command, Stdio};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Text of about `bytes` bytes in 64-character lines of base64 noise (compresses like code
/// does not: close to incompressible, so packed sizes are real).
fn text(rng: &mut Rng, bytes: usize) -> Vec<u8> {
    use base64::Engine as _;
    let mut raw = Vec::with_capacity(bytes);
    while raw.len() < bytes * 3 / 4 {
        raw.extend_from_slice(&rng.next().to_le_bytes());
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(&raw);
    let mut out = Vec::with_capacity(bytes + bytes / 64 + 1);
    for chunk in encoded.as_bytes().chunks(64).take(bytes.div_ceil(65)) {
        out.extend_from_slice(chunk);
        out.push(b'\n');
    }
    out
}

struct Options {
    dir: String,
    files: usize,
    commits: usize,
    file_bytes: usize,
    per_commit: usize,
    hot_versions: usize,
    big_folder: usize,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        dir: args.first().cloned().ok_or("gen-repo needs a directory")?,
        files: 100,
        commits: 100,
        file_bytes: 300,
        per_commit: 3,
        hot_versions: 50,
        big_folder: 1000,
        seed: 42,
    };
    let mut i = 1;
    while i + 1 < args.len() + 1 && i < args.len() {
        let v = args
            .get(i + 1)
            .ok_or(format!("{} needs a value", args[i]))?;
        let n: u64 = v
            .parse()
            .map_err(|_| format!("{} needs a number", args[i]))?;
        match args[i].as_str() {
            "--files" => o.files = n as usize,
            "--commits" => o.commits = n as usize,
            "--file-bytes" => o.file_bytes = n as usize,
            "--per-commit" => o.per_commit = n as usize,
            "--hot-versions" => o.hot_versions = n as usize,
            "--big-folder" => o.big_folder = n as usize,
            "--seed" => o.seed = n,
            other => return Err(format!("unknown option {other}")),
        }
        i += 2;
    }
    Ok(o)
}

pub fn path_of(i: usize) -> String {
    // 10 top modules × 10 packages × 10 libraries, files spread over them.
    format!(
        "src/m{:02}/p{:02}/l{:02}/file-{i:06}.txt",
        i % 10,
        (i / 10) % 10,
        (i / 100) % 10
    )
}

pub fn run(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let status = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main", &o.dir])
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("git init failed".into());
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&o.dir)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut w = std::io::BufWriter::new(child.stdin.take().ok_or("no stdin")?);
    let mut rng = Rng(o.seed | 1);
    let mut mark = 0usize;
    let mut blob = |w: &mut dyn Write, data: &[u8]| -> std::io::Result<usize> {
        mark += 1;
        write!(w, "blob\nmark :{mark}\ndata {}\n", data.len())?;
        w.write_all(data)?;
        w.write_all(b"\n")?;
        Ok(mark)
    };
    let io = |e: std::io::Error| e.to_string();
    let mut time = 1_700_000_000u64;
    let hot_every = (o.commits / o.hot_versions.max(1)).max(1);
    let mut hot_count = 0;
    for c in 0..=o.commits {
        let mut changes: Vec<(String, usize)> = Vec::new();
        if c == 0 {
            for i in 0..o.files {
                let m = blob(&mut w, &text(&mut rng, o.file_bytes)).map_err(io)?;
                changes.push((path_of(i), m));
            }
            for i in 0..o.big_folder {
                let m = blob(&mut w, &text(&mut rng, 64)).map_err(io)?;
                changes.push((format!("big/f-{i:04}.txt"), m));
            }
        } else {
            for _ in 0..o.per_commit {
                let i = rng.below(o.files as u64) as usize;
                let m = blob(&mut w, &text(&mut rng, o.file_bytes)).map_err(io)?;
                changes.push((path_of(i), m));
            }
        }
        if (c % hot_every == 0) && hot_count < o.hot_versions {
            hot_count += 1;
            let m = blob(
                &mut w,
                format!("version {hot_count}\n").repeat(20).as_bytes(),
            )
            .map_err(io)?;
            changes.push(("hot/history.txt".into(), m));
        }
        time += 60;
        let msg = format!("commit {c}\n");
        write!(w, "commit refs/heads/main\nauthor Bench <bench@example.com> {time} +0000\ncommitter Bench <bench@example.com> {time} +0000\ndata {}\n{msg}", msg.len())
            .map_err(io)?;
        for (path, m) in changes {
            writeln!(w, "M 100644 :{m} {path}").map_err(io)?;
        }
        w.write_all(b"\n").map_err(io)?;
    }
    w.flush().map_err(io)?;
    drop(w);
    let status = child.wait().map_err(io)?;
    if !status.success() {
        return Err("git fast-import failed".into());
    }
    eprintln!(
        "generated {} ({} files, {} commits)",
        o.dir,
        o.files + o.big_folder + 1,
        o.commits + 1
    );
    Ok(())
}
