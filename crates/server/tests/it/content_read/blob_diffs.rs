//! GetBlobDifferences against git diff hunks, and its errors.

use super::*;
use crate::assert_err;
use crate::common::*;
use aws_sdk_codecommit::types::DiffHunk;

/// A hunk as (beforeStart, beforeCount, afterStart, afterCount) and its lines as
/// (type, beforeLineNumber, afterLineNumber, content).
type Line = (String, Option<i32>, Option<i32>, String);
type Hunk = ((i32, i32, i32, i32), Vec<Line>);

/// Parses `git diff -U<n>` output into hunks, numbering the lines from the headers.
fn parse_git_hunks(out: &str) -> Vec<Hunk> {
    let range = |r: &str| -> (i32, i32) {
        match r.split_once(',') {
            Some((s, c)) => (s.parse().unwrap(), c.parse().unwrap()),
            None => (r.parse().unwrap(), 1),
        }
    };
    let mut hunks: Vec<Hunk> = Vec::new();
    let (mut b, mut a) = (0, 0);
    // Split on "\n" only: a "\r" is part of the line's content.
    for line in out.split('\n') {
        if let Some(rest) = line.strip_prefix("@@ -") {
            let (ranges, _) = rest.split_once(" @@").unwrap();
            let (before, after) = ranges.split_once(" +").unwrap();
            let (bs, bc) = range(before);
            let (as_, ac) = range(after);
            // An empty side is numbered from the line before it.
            b = if bc == 0 { bs + 1 } else { bs };
            a = if ac == 0 { as_ + 1 } else { as_ };
            hunks.push(((bs, bc, as_, ac), Vec::new()));
            continue;
        }
        let Some(h) = hunks.last_mut() else { continue };
        let (kind, content) = line.split_at(1.min(line.len()));
        let entry = match kind {
            " " => {
                b += 1;
                a += 1;
                ("CONTEXT", Some(b - 1), Some(a - 1))
            }
            "-" => {
                b += 1;
                ("DELETE", Some(b - 1), None)
            }
            "+" => {
                a += 1;
                ("ADD", None, Some(a - 1))
            }
            _ => continue, // "\ No newline at end of file"
        };
        h.1.push((entry.0.to_owned(), entry.1, entry.2, content.to_owned()));
    }
    hunks
}

fn api_hunk(h: &DiffHunk) -> Hunk {
    (
        (
            h.before_start_line().unwrap(),
            h.before_line_count().unwrap(),
            h.after_start_line().unwrap(),
            h.after_line_count().unwrap(),
        ),
        h.changes()
            .iter()
            .map(|c| {
                (
                    c.r#type().unwrap().as_str().to_owned(),
                    c.before_line_number(),
                    c.after_line_number(),
                    c.content().unwrap().to_owned(),
                )
            })
            .collect(),
    )
}

/// Every hunk GetBlobDifferences reports, following `NextToken`.
async fn blob_hunks(
    client: &Client,
    before: Option<&str>,
    after: &str,
    context: Option<i32>,
    ignore_ws: bool,
    page: Option<i32>,
) -> Vec<Hunk> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .get_blob_differences()
            .repository_name("blobs")
            .set_before_blob_id(before.map(str::to_owned))
            .after_blob_id(after)
            .set_context_lines(context)
            .ignore_whitespace(ignore_ws)
            .set_max_results(page)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetBlobDifferences {before:?} {after}: {e:?}"));
        assert!(!out.is_binary());
        if let Some(p) = page {
            assert!(out.hunks().len() <= p as usize);
        }
        all.extend(out.hunks().iter().map(api_hunk));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return all,
        }
    }
}

#[tokio::test]
async fn get_blob_differences_match_git_diff() {
    let (_server, client, url) = server_with("blobs").await;
    let mut w = Work::new(&url);
    let thirty = numbered(1..=30);
    let sixty = numbered(1..=60);
    let cases: Vec<(&str, String, String)> = vec![
        (
            "middle",
            thirty.clone(),
            thirty.replace("line 15\n", "line fifteen\n"),
        ),
        (
            "append",
            numbered(1..=10),
            format!("{}more 1\nmore 2\nmore 3\n", numbered(1..=10)),
        ),
        ("drop-start", numbered(1..=20), numbered(4..=20)),
        (
            "far-apart",
            sixty.clone(),
            sixty
                .replace("line 5\n", "five\n")
                .replace("line 30\n", "thirty\nthirty bis\n")
                .replace("line 55\n", ""),
        ),
        ("no-final-newline", "a\nb".into(), "a\nb\nc".into()),
        (
            "whitespace",
            "fn main() {\n    let a = 1;\n    let b  = 2;\n    call(a, b);\n}\n".into(),
            "fn main() {\n\tlet a = 1;\n    let b = 2;\n    call(a,  b);\n    done();\n}\n".into(),
        ),
        ("same", thirty.clone(), thirty.clone()),
        ("crlf", "a\r\nb\r\nc\r\n".into(), "a\r\nB\r\nc\r\n".into()),
        ("eol-change", "a\nb\nc\n".into(), "a\r\nb\r\nc\n".into()),
        (
            "unicode",
            "héllo\nwörld\n日本\n".into(),
            "héllo\nwörld!\n日本\n".into(),
        ),
    ];
    for (name, before, after) in &cases {
        w.write(&format!("{name}.before"), before);
        w.write(&format!("{name}.after"), after);
    }
    w.write("binary.before", b"\x00\x01\x02binary\n");
    w.write("binary.after", b"\x00\x01\x03binary\nmore\n");
    w.write("text.txt", "plain\ntext\n");
    w.write("added.txt", "first\nsecond\nthird\n");
    let c = w.commit("blobs");
    w.push(&["main"]);
    let blob = |path: &str| w.rev(&format!("{c}:{path}"));

    for (name, _, _) in &cases {
        let (b, a) = (
            blob(&format!("{name}.before")),
            blob(&format!("{name}.after")),
        );
        for context in [None, Some(0), Some(1), Some(5), Some(12)] {
            for ignore_ws in [false, true] {
                let u = format!("-U{}", context.unwrap_or(3));
                let mut args = vec!["diff", u.as_str()];
                if ignore_ws {
                    args.push("-w");
                }
                args.extend([b.as_str(), a.as_str()]);
                let want = parse_git_hunks(&w.raw(&args));
                let got = blob_hunks(&client, Some(&b), &a, context, ignore_ws, None).await;
                assert_eq!(got, want, "{name} {args:?}");
                if *name == "same" {
                    assert!(got.is_empty());
                }
            }
        }
    }

    // The cases really are what they claim (so the comparisons above mean something).
    let hunks_of = |name: &str, context: i32| {
        let (b, a) = (
            blob(&format!("{name}.before")),
            blob(&format!("{name}.after")),
        );
        let client = client.clone();
        async move { blob_hunks(&client, Some(&b), &a, Some(context), false, None).await }
    };
    assert_eq!(hunks_of("middle", 3).await[0].0, (12, 7, 12, 7));
    assert_eq!(hunks_of("append", 3).await[0].0, (8, 3, 8, 6));
    assert_eq!(hunks_of("drop-start", 3).await[0].0, (1, 6, 1, 3));
    assert_eq!(hunks_of("far-apart", 3).await.len(), 3);
    assert_eq!(hunks_of("far-apart", 0).await.len(), 3);
    // Changes 24 lines apart share a hunk once 2·context reaches the gap (git's rule).
    assert_eq!(hunks_of("far-apart", 11).await.len(), 3);
    assert_eq!(hunks_of("far-apart", 12).await.len(), 1);
    let ws = blob("whitespace.after");
    let ws_before = blob("whitespace.before");
    let strict = blob_hunks(&client, Some(&ws_before), &ws, Some(0), false, None).await;
    let loose = blob_hunks(&client, Some(&ws_before), &ws, Some(0), true, None).await;
    assert!(strict.iter().map(|h| h.1.len()).sum::<usize>() > 2);
    assert_eq!(loose.len(), 1, "{loose:?}");
    assert_eq!(
        loose[0].1,
        [("ADD".into(), None, Some(5), "    done();".into())]
    );

    // Paging over hunks: the pages add up to the whole list.
    let (b, a) = (blob("far-apart.before"), blob("far-apart.after"));
    let whole = blob_hunks(&client, Some(&b), &a, Some(0), false, None).await;
    for page in [1, 2] {
        let paged = blob_hunks(&client, Some(&b), &a, Some(0), false, Some(page)).await;
        assert_eq!(paged, whole, "pages of {page}");
    }

    // Sizes, and no before blob: the file was added.
    let out = client
        .get_blob_differences()
        .repository_name("blobs")
        .before_blob_id(&b)
        .after_blob_id(&a)
        .send()
        .await
        .unwrap();
    let size = |id: &str| w.ok(&["cat-file", "-s", id]).parse::<i64>().unwrap();
    assert_eq!(out.before_blob_size(), size(&b));
    assert_eq!(out.after_blob_size(), size(&a));
    assert!(out.next_token().is_none());
    let added = blob("added.txt");
    let empty = w.ok(&["hash-object", "-w", "/dev/null"]);
    let want = parse_git_hunks(&w.raw(&["diff", "-U3", &empty, &added]));
    assert_eq!(want[0].0, (0, 0, 1, 3));
    assert_eq!(
        blob_hunks(&client, None, &added, None, false, None).await,
        want
    );
    let out = client
        .get_blob_differences()
        .repository_name("blobs")
        .after_blob_id(&added)
        .send()
        .await
        .unwrap();
    assert_eq!(out.after_blob_size(), size(&added));
    assert_eq!(out.before_blob_size(), 0);

    // Binary blobs: flagged, no hunks (git says "Binary files … differ").
    let (bb, ba) = (blob("binary.before"), blob("binary.after"));
    assert!(w.raw(&["diff", &bb, &ba]).contains("Binary files"));
    for (before, after) in [
        (&bb, &ba),
        (&blob("text.txt"), &ba),
        (&bb, &blob("text.txt")),
    ] {
        let out = client
            .get_blob_differences()
            .repository_name("blobs")
            .before_blob_id(before)
            .after_blob_id(after)
            .send()
            .await
            .unwrap();
        assert!(out.is_binary());
        assert!(out.hunks().is_empty());
        assert_eq!(out.before_blob_size(), size(before));
        assert_eq!(out.after_blob_size(), size(after));
    }
}

#[tokio::test]
async fn get_blob_differences_errors() {
    let (_server, client, url) = server_with("blobs").await;
    let mut w = Work::new(&url);
    w.write("a.txt", numbered(1..=40));
    w.write("big.txt", "x".repeat(6 * 1024 * 1024 + 1));
    let c1 = w.commit("one");
    w.write(
        "a.txt",
        numbered(1..=40)
            .replace("line 2\n", "")
            .replace("line 39\n", ""),
    );
    let c2 = w.commit("two");
    w.push(&["main"]);
    let (b, a) = (w.rev(&format!("{c1}:a.txt")), w.rev(&format!("{c2}:a.txt")));
    let diff = |before: Option<&str>, after: Option<&str>| {
        client
            .get_blob_differences()
            .repository_name("blobs")
            .set_before_blob_id(before.map(str::to_owned))
            .set_after_blob_id(after.map(str::to_owned))
    };
    assert_eq!(
        diff(Some(&b), Some(&a)).send().await.unwrap().hunks().len(),
        2
    );

    assert_err!(diff(Some(&b), None).send().await, "BlobIdRequiredException");
    assert_err!(
        diff(Some(&b), Some("")).send().await,
        "BlobIdRequiredException"
    );
    assert_err!(
        diff(Some(&b), Some("xyz")).send().await,
        "InvalidBlobIdException"
    );
    assert_err!(
        diff(Some(&b), Some(&a[..8])).send().await,
        "InvalidBlobIdException"
    );
    assert_err!(
        diff(Some("xyz"), Some(&a)).send().await,
        "InvalidBlobIdException"
    );
    assert_err!(
        diff(Some(&b), Some(UNKNOWN_ID)).send().await,
        "BlobIdDoesNotExistException"
    );
    assert_err!(
        diff(Some(UNKNOWN_ID), Some(&a)).send().await,
        "BlobIdDoesNotExistException"
    );
    // A commit id is an object, but not a blob.
    assert_err!(
        diff(Some(&b), Some(&c2)).send().await,
        "BlobIdDoesNotExistException"
    );
    let big = w.rev(&format!("{c1}:big.txt"));
    assert_err!(
        diff(Some(&b), Some(&big)).send().await,
        "FileTooLargeException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).context_lines(-1).send().await,
        "ValidationException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).max_results(0).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).max_results(-3).send().await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        diff(Some(&b), Some(&a)).next_token("garbage").send().await,
        "InvalidContinuationTokenException"
    );
    // A token pages only the comparison it came from.
    let token = diff(Some(&b), Some(&a))
        .max_results(1)
        .send()
        .await
        .unwrap()
        .next_token
        .unwrap();
    assert_eq!(
        diff(Some(&b), Some(&a))
            .next_token(&token)
            .send()
            .await
            .unwrap()
            .hunks()
            .len(),
        1
    );
    assert_err!(
        diff(Some(&b), Some(&a))
            .context_lines(0)
            .next_token(&token)
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    assert_err!(
        client
            .get_blob_differences()
            .repository_name("no-such-repo")
            .after_blob_id(&a)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        client.get_blob_differences().after_blob_id(&a).send().await,
        "RepositoryNameRequiredException"
    );
}
