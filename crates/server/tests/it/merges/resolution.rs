//! Conflict resolution strategies and manual conflict resolution.

use super::*;
use aws_sdk_codecommit::types::FileModeTypeEnum::{Executable, Normal};
use aws_sdk_codecommit::types::SetFileModeEntry;

/// f.txt: same-line edits; g.txt: edited against deleted; h.txt: far-apart edits.
fn mixed(w: &World, name: &str) -> Case {
    let ten = numbered(10, &[]);
    w.case(
        name,
        &[
            Write("f.txt", &ten),
            Write("g.txt", &ten),
            Write("h.txt", &ten),
        ],
        &[
            Write("f.txt", &numbered(10, &[(5, "five-src")])),
            Write("g.txt", &numbered(10, &[(1, "one-src")])),
            Write("h.txt", &numbered(10, &[(2, "two-src")])),
        ],
        &[
            Write("f.txt", &numbered(10, &[(5, "five-dst")])),
            Delete("g.txt"),
            Write("h.txt", &numbered(10, &[(9, "nine-dst")])),
        ],
    )
}

#[tokio::test]
async fn strategies_settle_conflicts_or_nothing_is_written() {
    let w = world().await;
    let c = mixed(&w, "mixed");
    let far = w.case(
        "far",
        &[Write("f.txt", &numbered(10, &[]))],
        &[Write("f.txt", &numbered(10, &[(2, "two-src")]))],
        &[Write("f.txt", &numbered(10, &[(9, "nine-dst")]))],
    );
    let h_merged = numbered(10, &[(2, "two-src"), (9, "nine-dst")]);

    // Which strategies make the merge possible (line level: f.txt and g.txt conflict).
    for (strategy, mergeable) in [
        (Strategy::None, false),
        (Strategy::AcceptSource, true),
        (Strategy::AcceptDestination, true),
        (Strategy::Automerge, false),
    ] {
        let out = w
            .client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::SquashMerge)
            .conflict_detail_level(Level::LineLevel)
            .conflict_resolution_strategy(strategy.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(out.mergeable(), mergeable, "{strategy:?}");
        let paths: Vec<&str> = out
            .conflict_metadata_list()
            .iter()
            .map(|m| m.file_path().unwrap())
            .collect();
        assert_eq!(paths, ["f.txt", "g.txt"], "{strategy:?}");
        let options = w
            .client
            .get_merge_options()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_detail_level(Level::LineLevel)
            .conflict_resolution_strategy(strategy.clone())
            .send()
            .await
            .unwrap();
        let expected = if mergeable {
            vec![MergeOption::SquashMerge, MergeOption::ThreeWayMerge]
        } else {
            vec![]
        };
        assert_eq!(options.merge_options(), expected, "{strategy:?}");
    }

    // Unresolved conflicts: ManualMergeRequired from every merge, and the branch stays put.
    let before = w.remote_branch(&c.dst_branch());
    assert_eq!(before.as_deref(), Some(c.dst.as_str()));
    for strategy in [Strategy::None, Strategy::Automerge] {
        crate::assert_err!(
            w.client
                .merge_branches_by_three_way()
                .repository_name(REPO)
                .source_commit_specifier(c.src_branch())
                .destination_commit_specifier(c.dst_branch())
                .conflict_detail_level(Level::LineLevel)
                .conflict_resolution_strategy(strategy.clone())
                .send()
                .await,
            "ManualMergeRequiredException"
        );
        crate::assert_err!(
            w.client
                .merge_branches_by_squash()
                .repository_name(REPO)
                .source_commit_specifier(c.src_branch())
                .destination_commit_specifier(c.dst_branch())
                .conflict_resolution_strategy(strategy)
                .send()
                .await,
            "ManualMergeRequiredException"
        );
    }
    assert_eq!(w.remote_branch(&c.dst_branch()), before);

    // ACCEPT_SOURCE / ACCEPT_DESTINATION take one side's version of each conflict; clean
    // changes (h.txt) still merge.
    let (commit, _) = w
        .unreferenced(&c, Level::LineLevel, Strategy::AcceptSource, None)
        .await
        .unwrap();
    assert_eq!(
        w.content(&commit, "f.txt").await.unwrap(),
        numbered(10, &[(5, "five-src")])
    );
    assert_eq!(
        w.content(&commit, "g.txt").await.unwrap(),
        numbered(10, &[(1, "one-src")])
    );
    assert_eq!(w.content(&commit, "h.txt").await.unwrap(), h_merged);

    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .conflict_resolution_strategy(Strategy::AcceptDestination)
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap();
    assert_eq!(w.remote_branch(&c.dst_branch()).as_deref(), Some(commit));
    assert_eq!(
        w.content(commit, "f.txt").await.unwrap(),
        numbered(10, &[(5, "five-dst")])
    );
    assert_eq!(w.content(commit, "g.txt").await, None);
    assert_eq!(w.content(commit, "h.txt").await.unwrap(), h_merged);

    // AUTOMERGE settles what merges by lines even at file level, and the result is git's.
    crate::assert_err!(
        w.client
            .create_unreferenced_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(&far.src)
            .destination_commit_specifier(&far.dst)
            .merge_option(MergeOption::ThreeWayMerge)
            .send()
            .await,
        "ManualMergeRequiredException"
    );
    let out = w
        .client
        .get_merge_conflicts()
        .repository_name(REPO)
        .source_commit_specifier(&far.src)
        .destination_commit_specifier(&far.dst)
        .merge_option(MergeOption::ThreeWayMerge)
        .conflict_resolution_strategy(Strategy::Automerge)
        .send()
        .await
        .unwrap();
    assert!(out.mergeable());
    assert_eq!(out.conflict_metadata_list().len(), 1);
    let (_, tree) = w
        .unreferenced(&far, Level::FileLevel, Strategy::Automerge, None)
        .await
        .unwrap();
    assert_eq!(Some(tree), w.git_merge(&far));
}

#[tokio::test]
async fn manual_conflict_resolution() {
    let w = world().await;
    let c = mixed(&w, "mixed");
    let add_mode = w.case(
        "add-mode",
        &[Write("keep.txt", b"k\n")],
        &[Write("tool", b"x\n"), Exec("tool")],
        &[Write("tool", b"x\n")],
    );
    let ten = numbered(10, &[]);
    let h_merged = numbered(10, &[(2, "two-src"), (9, "nine-dst")]);
    let resolve = |entries: Vec<ReplaceContentEntry>, deletes: Vec<DeleteFileEntry>| {
        Some(
            ConflictResolution::builder()
                .set_replace_contents(Some(entries))
                .set_delete_files(Some(deletes))
                .build(),
        )
    };
    use ReplacementTypeEnum::{KeepBase, KeepDestination, KeepSource, UseNewContent};

    // New content for one file, delete the other.
    let (commit, _) = w
        .unreferenced(
            &c,
            Level::LineLevel,
            Strategy::Automerge,
            resolve(
                vec![replace("f.txt", UseNewContent, Some(b"resolved\n"))],
                vec![delete("g.txt")],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        w.file(&commit, "f.txt").await.unwrap(),
        (b"resolved\n".to_vec(), Normal)
    );
    assert_eq!(w.content(&commit, "g.txt").await, None);
    assert_eq!(w.content(&commit, "h.txt").await.unwrap(), h_merged);

    // KEEP_BASE / KEEP_SOURCE.
    let (commit, _) = w
        .unreferenced(
            &c,
            Level::LineLevel,
            Strategy::Automerge,
            resolve(
                vec![
                    replace("f.txt", KeepBase, None),
                    replace("g.txt", KeepSource, None),
                ],
                vec![],
            ),
        )
        .await
        .unwrap();
    assert_eq!(w.content(&commit, "f.txt").await.unwrap(), ten);
    assert_eq!(
        w.content(&commit, "g.txt").await.unwrap(),
        numbered(10, &[(1, "one-src")])
    );

    // KEEP_DESTINATION (g.txt is deleted there), and a mode with new content, through a
    // squash merge that moves the branch.
    let out = w
        .client
        .merge_branches_by_squash()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .conflict_resolution_strategy(Strategy::Automerge)
        .conflict_resolution(
            ConflictResolution::builder()
                .replace_contents(
                    ReplaceContentEntry::builder()
                        .file_path("f.txt")
                        .replacement_type(UseNewContent)
                        .content(Blob::new("#!/bin/sh\n"))
                        .file_mode(Executable)
                        .build()
                        .unwrap(),
                )
                .replace_contents(replace("g.txt", KeepDestination, None))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap();
    assert_eq!(w.remote_branch(&c.dst_branch()).as_deref(), Some(commit));
    assert_eq!(
        w.file(commit, "f.txt").await.unwrap(),
        (b"#!/bin/sh\n".to_vec(), Executable)
    );
    assert_eq!(w.content(commit, "g.txt").await, None);

    // setFileModes settles a mode conflict.
    for mode in [Executable, Normal] {
        let (commit, _) = w
            .unreferenced(
                &add_mode,
                Level::FileLevel,
                Strategy::Automerge,
                Some(
                    ConflictResolution::builder()
                        .set_file_modes(
                            SetFileModeEntry::builder()
                                .file_path("tool")
                                .file_mode(mode.clone())
                                .build()
                                .unwrap(),
                        )
                        .build(),
                ),
            )
            .await
            .unwrap();
        assert_eq!(
            w.file(&commit, "tool").await.unwrap(),
            (b"x\n".to_vec(), mode)
        );
    }
    // Without it the mode conflict stays.
    assert_eq!(
        w.unreferenced(&add_mode, Level::FileLevel, Strategy::Automerge, None)
            .await,
        Err("ManualMergeRequiredException".to_owned())
    );

    // Resolving only some of the conflicts is not enough.
    assert_eq!(
        w.unreferenced(
            &c,
            Level::LineLevel,
            Strategy::Automerge,
            resolve(vec![replace("f.txt", KeepSource, None)], vec![]),
        )
        .await,
        Err("ManualMergeRequiredException".to_owned())
    );

    // Bad resolution lists, by name.
    let bad = [
        (
            resolve(vec![replace("f.txt", UseNewContent, None)], vec![]),
            "ReplacementContentRequiredException",
        ),
        (
            resolve(
                vec![replace("f.txt", KeepBase, None)],
                vec![delete("f.txt")],
            ),
            "MultipleConflictResolutionEntriesException",
        ),
        (
            resolve(
                vec![
                    replace("f.txt", KeepBase, None),
                    replace("f.txt", KeepSource, None),
                ],
                vec![],
            ),
            "MultipleConflictResolutionEntriesException",
        ),
        (
            resolve(
                vec![replace(
                    "f.txt",
                    ReplacementTypeEnum::from("KEEP_ALL"),
                    None,
                )],
                vec![],
            ),
            "InvalidReplacementTypeException",
        ),
        (
            resolve(vec![replace("f.txt", KeepBase, Some(b"x"))], vec![]),
            "InvalidReplacementContentException",
        ),
        (
            // h.txt merges cleanly by lines: nothing to resolve there.
            resolve(
                vec![replace("f.txt", KeepBase, None)],
                vec![delete("g.txt"), delete("h.txt")],
            ),
            "InvalidConflictResolutionException",
        ),
        (
            resolve(
                vec![],
                (0..101).map(|i| delete(&format!("x{i}.txt"))).collect(),
            ),
            "MaximumConflictResolutionEntriesExceededException",
        ),
    ];
    for (resolution, name) in bad {
        assert_eq!(
            w.unreferenced(&c, Level::LineLevel, Strategy::Automerge, resolution)
                .await,
            Err(name.to_owned())
        );
    }
}
