//! DescribeMergeConflicts / BatchDescribeMergeConflicts hunks, and the line merge against git merge-file on generated edits.

use super::*;
use aws_sdk_codecommit::types::MergeHunk;

/// A hunk side as (startLine, endLine, decoded content).
fn side(d: Option<&aws_sdk_codecommit::types::MergeHunkDetail>) -> (i32, i32, Vec<u8>) {
    let d = d.unwrap();
    (
        d.start_line().unwrap(),
        d.end_line().unwrap(),
        b64(d.hunk_content().unwrap()),
    )
}

/// Each hunk's content is the lines [startLine, endLine) of its side's file.
fn check_hunk_lines(hunks: &[MergeHunk], base: &[u8], src: &[u8], dst: &[u8]) {
    let lines = |t: &[u8]| -> Vec<Vec<u8>> {
        t.split_inclusive(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    for h in hunks {
        for (detail, text) in [(h.base(), base), (h.source(), src), (h.destination(), dst)] {
            let (start, end, content) = side(detail);
            assert_eq!(
                lines(text)[start as usize..end as usize].concat(),
                content,
                "{h:?}"
            );
        }
    }
}

/// Rebuilds the line merge from the base and the (non-conflicting) hunks.
fn apply_hunks(hunks: &[MergeHunk], base: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = base.split_inclusive(|b| *b == b'\n').collect();
    let mut out = Vec::new();
    let mut at = 0;
    for h in hunks {
        assert!(!h.is_conflict());
        let (bs, be, bc) = side(h.base());
        let (_, _, sc) = side(h.source());
        let (_, _, dc) = side(h.destination());
        out.extend(lines[at..bs as usize].concat());
        out.extend(if sc != bc { sc } else { dc });
        at = be as usize;
    }
    out.extend(lines[at..].concat());
    out
}

#[tokio::test]
async fn describe_hunks_agree_with_the_line_merge() {
    let w = world().await;
    let base = numbered(20, &[]);
    let src = numbered(
        20,
        &[(2, "two-src"), (10, "ten-src"), (18, "eighteen-both")],
    );
    let dst = numbered(
        20,
        &[(5, "5\ninserted"), (10, "ten-dst"), (18, "eighteen-both")],
    );
    let far_src = numbered(20, &[(2, "two-src"), (12, "twelve-src")]);
    let far_dst = numbered(20, &[(5, "5\ninserted"), (18, "eighteen-dst")]);
    let c = w.case(
        "hunks",
        &[
            Write("f.txt", &base),
            Write("far.txt", &base),
            Write("same.txt", b"s\n"),
        ],
        &[Write("f.txt", &src), Write("far.txt", &far_src)],
        &[Write("f.txt", &dst), Write("far.txt", &far_dst)],
    );
    let describe = |path: &str, level: Level, max: Option<i32>, token: Option<String>| {
        w.client
            .describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(level)
            .file_path(path)
            .set_max_merge_hunks(max)
            .set_next_token(token)
            .send()
    };

    let out = describe("f.txt", Level::LineLevel, None, None)
        .await
        .unwrap();
    assert_eq!(out.source_commit_id(), c.src);
    assert_eq!(out.destination_commit_id(), c.dst);
    assert_eq!(out.base_commit_id(), Some(c.base.as_str()));
    assert!(out.next_token().is_none());
    let hunks = out.merge_hunks().to_vec();
    check_hunk_lines(&hunks, &base, &src, &dst);
    // Source-only edit, destination-only insertion, the conflict, the identical edit.
    assert_eq!(
        hunks.iter().map(MergeHunk::is_conflict).collect::<Vec<_>>(),
        [false, false, true, false]
    );
    assert_eq!(
        hunks
            .iter()
            .map(|h| [side(h.base()), side(h.source()), side(h.destination())].map(|s| (s.0, s.1)))
            .collect::<Vec<_>>(),
        [
            [(1, 2), (1, 2), (1, 2)],
            [(5, 5), (5, 5), (5, 6)],
            [(9, 10), (9, 10), (10, 11)],
            [(17, 18), (17, 18), (18, 19)],
        ]
    );
    let m = out.conflict_metadata().unwrap();
    assert_eq!(m.file_path(), Some("f.txt"));
    assert_eq!(flags(m), (true, false, false, 1));

    // The conflicting hunk is exactly what `git merge-file --diff3` puts between its markers.
    let tmp = w.git.dir("merge-file");
    for (name, text) in [("src", &src), ("base", &base), ("dst", &dst)] {
        std::fs::write(tmp.join(name), text).unwrap();
    }
    let merged = w
        .git
        .run(&tmp, &["merge-file", "-p", "--diff3", "src", "base", "dst"]);
    assert_eq!(merged.status.code(), Some(1), "one conflict");
    let text = String::from_utf8(merged.stdout).unwrap();
    let (mut ours, mut orig, mut theirs, mut section) =
        (String::new(), String::new(), String::new(), 0);
    for line in text.split_inclusive('\n') {
        match line.split(' ').next().unwrap().trim_end() {
            "<<<<<<<" => section = 1,
            "|||||||" => section = 2,
            "=======" => section = 3,
            ">>>>>>>" => section = 0,
            _ => match section {
                1 => ours.push_str(line),
                2 => orig.push_str(line),
                3 => theirs.push_str(line),
                _ => {}
            },
        }
    }
    let conflict = &hunks[2];
    assert_eq!(side(conflict.source()).2, ours.as_bytes());
    assert_eq!(side(conflict.base()).2, orig.as_bytes());
    assert_eq!(side(conflict.destination()).2, theirs.as_bytes());

    // File level reports the same hunks (one diff3), with the file as one conflict.
    let file_level = describe("f.txt", Level::FileLevel, None, None)
        .await
        .unwrap();
    assert_eq!(file_level.merge_hunks(), hunks.as_slice());

    // Paging by maxMergeHunks gives the same hunks.
    let mut paged = Vec::new();
    let mut token = None;
    loop {
        let out = describe("f.txt", Level::LineLevel, Some(1), token)
            .await
            .unwrap();
        assert_eq!(out.merge_hunks().len(), 1);
        paged.extend(out.merge_hunks().iter().cloned());
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, hunks);

    // A file that merges by lines: its hunks rebuild exactly the merged file.
    let far = describe("far.txt", Level::FileLevel, None, None)
        .await
        .unwrap();
    let far_hunks = far.merge_hunks().to_vec();
    check_hunk_lines(&far_hunks, &base, &far_src, &far_dst);
    assert_eq!(far_hunks.len(), 4);
    assert!(far.conflict_metadata().unwrap().content_conflict());
    let (commit, _) = w
        .unreferenced(&c, Level::LineLevel, Strategy::AcceptSource, None)
        .await
        .unwrap();
    let merged_far = w.content(&commit, "far.txt").await.unwrap();
    assert_eq!(apply_hunks(&far_hunks, &base), merged_far);
    assert_eq!(
        merged_far,
        numbered(
            20,
            &[
                (2, "two-src"),
                (5, "5\ninserted"),
                (12, "twelve-src"),
                (18, "eighteen-dst")
            ]
        )
    );

    // Errors.
    crate::assert_err!(
        describe("nope.txt", Level::LineLevel, None, None).await,
        "FileDoesNotExistException"
    );
    crate::assert_err!(
        describe("f.txt", Level::LineLevel, Some(0), None).await,
        "InvalidMaxMergeHunksException"
    );
    crate::assert_err!(
        describe("f.txt", Level::LineLevel, None, Some("garbage".into())).await,
        "InvalidContinuationTokenException"
    );
    crate::assert_err!(
        describe("f.txt", Level::from("WORD_LEVEL"), None, None).await,
        "InvalidConflictDetailLevelException"
    );
    crate::assert_err!(
        w.client
            .describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::FastForwardMerge)
            .file_path("f.txt")
            .send()
            .await,
        "InvalidMergeOptionException"
    );
    crate::assert_err!(
        w.client
            .describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .file_path("f.txt")
            .send()
            .await,
        "MergeOptionRequiredException"
    );
}

#[tokio::test]
async fn batch_describe_and_conflict_paging() {
    let w = world().await;
    let base = numbered(10, &[]);
    let src = numbered(10, &[(2, "two-src"), (8, "eight-src")]);
    let dst = numbered(10, &[(2, "two-dst"), (8, "eight-dst")]);
    let names: Vec<String> = (0..7).map(|i| format!("c{i}.txt")).collect();
    let mut base_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &base)).collect();
    base_ops.push(Write("clean.txt", b"c\n"));
    let src_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &src)).collect();
    let mut dst_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &dst)).collect();
    dst_ops.push(Write("clean.txt", b"c2\n"));
    let c = w.case("batch", &base_ops, &src_ops, &dst_ops);

    let batch = |max_files: Option<i32>,
                 max_hunks: Option<i32>,
                 paths: Option<Vec<String>>,
                 token: Option<String>| {
        w.client
            .batch_describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(Level::LineLevel)
            .set_max_conflict_files(max_files)
            .set_max_merge_hunks(max_hunks)
            .set_file_paths(paths)
            .set_next_token(token)
            .send()
    };

    // All conflicting files, three at a time; each with its two conflicting hunks.
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let out = batch(Some(3), None, None, token).await.unwrap();
        pages += 1;
        assert!(out.errors().is_empty());
        assert_eq!(out.base_commit_id(), Some(c.base.as_str()));
        for conflict in out.conflicts() {
            let m = conflict.conflict_metadata().unwrap();
            assert_eq!(flags(m), (true, false, false, 2));
            let hunks = conflict.merge_hunks();
            assert_eq!(hunks.len(), 2);
            assert!(hunks.iter().all(MergeHunk::is_conflict));
            check_hunk_lines(hunks, &base, &src, &dst);
            seen.push(m.file_path().unwrap().to_owned());
        }
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, names);

    let describe = |path: &str| {
        w.client
            .describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(Level::LineLevel)
            .file_path(path)
            .send()
    };
    // The same hunks as DescribeMergeConflicts, and maxMergeHunks caps them per file.
    let single = describe("c3.txt").await.unwrap();
    let out = batch(None, Some(1), Some(vec!["c3.txt".into()]), None)
        .await
        .unwrap();
    assert_eq!(out.conflicts().len(), 1);
    assert_eq!(out.conflicts()[0].merge_hunks(), &single.merge_hunks()[..1]);
    let ops = single
        .conflict_metadata()
        .unwrap()
        .merge_operations()
        .unwrap();
    assert_eq!(ops.source(), Some(&ChangeTypeEnum::Modified));
    assert_eq!(ops.destination(), Some(&ChangeTypeEnum::Modified));

    // A file only the destination changed can be described: the source did nothing to it.
    let clean = describe("clean.txt").await.unwrap();
    let m = clean.conflict_metadata().unwrap();
    assert_eq!(flags(m), (false, false, false, 0));
    let ops = m.merge_operations().unwrap();
    assert_eq!(ops.source(), None);
    assert_eq!(ops.destination(), Some(&ChangeTypeEnum::Modified));

    // A filePaths filter; a path in no commit is reported in errors.
    let out = batch(
        None,
        None,
        Some(vec!["c1.txt".into(), "c4.txt".into(), "missing.txt".into()]),
        None,
    )
    .await
    .unwrap();
    let paths: Vec<&str> = out
        .conflicts()
        .iter()
        .map(|c| c.conflict_metadata().unwrap().file_path().unwrap())
        .collect();
    assert_eq!(paths, ["c1.txt", "c4.txt"]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].file_path(), "missing.txt");
    assert_eq!(
        out.errors()[0].exception_name(),
        "FileDoesNotExistException"
    );

    // GetMergeConflicts pages by maxConflictFiles the same way.
    let mut listed = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = w
            .client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .max_conflict_files(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(!out.mergeable());
        assert!(out.conflict_metadata_list().len() <= 2);
        listed.extend(
            out.conflict_metadata_list()
                .iter()
                .map(|m| m.file_path().unwrap().to_owned()),
        );
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    // File level: clean.txt changed on one side only, so still 7.
    assert_eq!(listed, names);

    // Errors.
    crate::assert_err!(
        batch(Some(0), None, None, None).await,
        "InvalidMaxConflictFilesException"
    );
    crate::assert_err!(
        batch(None, Some(-1), None, None).await,
        "InvalidMaxMergeHunksException"
    );
    crate::assert_err!(
        batch(None, None, None, Some("bm90IGEgdG9rZW4=".into())).await,
        "InvalidContinuationTokenException"
    );
    let gmc = |max: Option<i32>, token: Option<&str>| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .set_max_conflict_files(max)
            .set_next_token(token.map(str::to_owned))
            .send()
    };
    crate::assert_err!(gmc(Some(0), None).await, "InvalidMaxConflictFilesException");
    crate::assert_err!(
        gmc(None, Some("garbage")).await,
        "InvalidContinuationTokenException"
    );
    crate::assert_err!(
        w.client
            .batch_describe_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::FastForwardMerge)
            .send()
            .await,
        "InvalidMergeOptionException"
    );
}

// ---------------------------------------------------------------------------------------------
// The line merge against git merge-file on generated edits
// ---------------------------------------------------------------------------------------------

/// Applies 1–3 pseudo-random line edits (replace, delete, insert) to `base`.
fn random_edits(base: &[String], seed: &mut u64, tag: &str) -> Vec<u8> {
    let mut next = |n: u64| {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) % n
    };
    let mut lines = base.to_vec();
    for k in 0..=next(3) {
        let i = next(lines.len() as u64) as usize;
        match next(3) {
            0 => lines[i] = format!("{tag}{k}"),
            1 if lines.len() > 2 => {
                lines.remove(i);
            }
            _ => lines.insert(i, format!("{tag}-ins{k}")),
        }
    }
    lines
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

#[tokio::test]
async fn line_merge_matches_git_merge_file() {
    let w = world().await;
    let base: Vec<String> = (1..=12).map(|i| format!("l{i}")).collect();
    let base_text: Vec<u8> = base
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes();
    let mut seed = 7u64;
    let files: Vec<(String, Vec<u8>, Vec<u8>)> = (0..60)
        .map(|i| {
            (
                format!("g{i:02}.txt"),
                random_edits(&base, &mut seed, "s"),
                random_edits(&base, &mut seed, "d"),
            )
        })
        .collect();
    let base_ops: Vec<Op<'_>> = files.iter().map(|(p, _, _)| Write(p, &base_text)).collect();
    let src_ops: Vec<Op<'_>> = files.iter().map(|(p, s, _)| Write(p, s)).collect();
    let dst_ops: Vec<Op<'_>> = files.iter().map(|(p, _, d)| Write(p, d)).collect();
    let c = w.case("generated", &base_ops, &src_ops, &dst_ops);

    let mut ours: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = w
            .client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(&c.src)
            .destination_commit_specifier(&c.dst)
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(Level::LineLevel)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        ours.extend(
            out.conflict_metadata_list()
                .iter()
                .map(|m| m.file_path().unwrap().to_owned()),
        );
        match out.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    ours.sort();
    let (commit, _) = w
        .unreferenced(&c, Level::LineLevel, Strategy::AcceptDestination, None)
        .await
        .unwrap();
    let tmp = w.git.dir("generated");
    std::fs::write(tmp.join("base"), &base_text).unwrap();
    let mut git_conflicts = Vec::new();
    for (path, s, d) in &files {
        std::fs::write(tmp.join("src"), s).unwrap();
        std::fs::write(tmp.join("dst"), d).unwrap();
        let merged = w.git.run(&tmp, &["merge-file", "-p", "src", "base", "dst"]);
        match merged.status.code() {
            Some(0) => assert_eq!(
                w.content(&commit, path).await.unwrap(),
                merged.stdout,
                "{path}: merged differently from git"
            ),
            _ => git_conflicts.push(path.clone()),
        }
    }
    git_conflicts.sort();
    assert_eq!(ours, git_conflicts, "conflicting files differ from git's");
    assert!(!ours.is_empty() && ours.len() < files.len(), "{ours:?}");
}
