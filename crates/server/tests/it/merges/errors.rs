//! Merges refused: bad inputs by name, oversized merges, a target branch ahead of the destination.

use super::*;

#[tokio::test]
async fn bad_inputs_by_name() {
    let w = world().await;
    let c = far_case(&w, "far");
    let gmc = |src: Option<&str>, dst: Option<&str>| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .set_source_commit_specifier(src.map(str::to_owned))
            .set_destination_commit_specifier(dst.map(str::to_owned))
            .merge_option(MergeOption::ThreeWayMerge)
            .send()
    };
    let (src, dst) = (c.src_branch(), c.dst_branch());
    let (src, dst) = (Some(src.as_str()), Some(dst.as_str()));
    crate::assert_err!(gmc(None, dst).await, "CommitRequiredException");
    crate::assert_err!(
        gmc(src, Some("no-such-branch")).await,
        "CommitDoesNotExistException"
    );
    crate::assert_err!(
        gmc(Some("bad..spec"), dst).await,
        "InvalidSourceCommitSpecifierException"
    );
    crate::assert_err!(
        gmc(src, Some("bad..spec")).await,
        "InvalidDestinationCommitSpecifierException"
    );
    crate::assert_err!(
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .send()
            .await,
        "MergeOptionRequiredException"
    );
    crate::assert_err!(
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::from("REBASE_MERGE"))
            .send()
            .await,
        "InvalidMergeOptionException"
    );

    // The other operations use the general commit errors.
    let options =
        |src: Option<&str>, dst: Option<&str>, level: Option<Level>, strategy: Option<Strategy>| {
            w.client
                .get_merge_options()
                .repository_name(REPO)
                .set_source_commit_specifier(src.map(str::to_owned))
                .set_destination_commit_specifier(dst.map(str::to_owned))
                .set_conflict_detail_level(level)
                .set_conflict_resolution_strategy(strategy)
                .send()
        };
    crate::assert_err!(
        options(src, None, None, None).await,
        "CommitRequiredException"
    );
    crate::assert_err!(
        options(src, Some("bad..spec"), None, None).await,
        "InvalidCommitException"
    );
    crate::assert_err!(
        options(
            Some("0123456789012345678901234567890123456789"),
            dst,
            None,
            None
        )
        .await,
        "CommitDoesNotExistException"
    );
    crate::assert_err!(
        options(src, dst, Some(Level::from("WORD_LEVEL")), None).await,
        "InvalidConflictDetailLevelException"
    );
    crate::assert_err!(
        options(src, dst, None, Some(Strategy::from("ACCEPT_ALL"))).await,
        "InvalidConflictResolutionStrategyException"
    );
    crate::assert_err!(
        w.client
            .get_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier("no-such-branch")
            .destination_commit_specifier(c.dst_branch())
            .send()
            .await,
        "CommitDoesNotExistException"
    );
    crate::assert_err!(
        w.client
            .get_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_resolution_strategy(Strategy::from("ACCEPT_ALL"))
            .send()
            .await,
        "InvalidConflictResolutionStrategyException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_squash()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_detail_level(Level::from("WORD_LEVEL"))
            .send()
            .await,
        "InvalidConflictDetailLevelException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier("bad..spec")
            .send()
            .await,
        "InvalidCommitException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_fast_forward()
            .repository_name(REPO)
            .destination_commit_specifier(c.dst_branch())
            .send()
            .await,
        "CommitRequiredException"
    );
    // Every operation checks the repository.
    crate::assert_err!(
        w.client
            .get_merge_options()
            .repository_name("missing")
            .source_commit_specifier("a")
            .destination_commit_specifier("b")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name("missing")
            .source_commit_specifier("a")
            .destination_commit_specifier("b")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    crate::assert_err!(
        w.client
            .batch_describe_merge_conflicts()
            .repository_name("missing")
            .source_commit_specifier("a")
            .destination_commit_specifier("b")
            .merge_option(MergeOption::ThreeWayMerge)
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_eq!(w.remote_branch(&c.dst_branch()), Some(c.dst.clone()));
}

#[tokio::test]
async fn oversized_merges_are_refused_by_name() {
    // Small limits stand in for CodeCommit's undocumented ones (see MergeLimits).
    let w = world_with(|c| {
        c.merge_limits = codecommit_local::git::merge::MergeLimits {
            items_to_compare: 4,
            files_to_load: 1,
        }
    })
    .await;
    let base = numbered(10, &[]);
    let (src_edit, dst_edit) = (numbered(10, &[(2, "s")]), numbered(10, &[(8, "d")]));
    let wide = w.case(
        "wide",
        &[],
        &[
            Write("n1", b"1"),
            Write("n2", b"2"),
            Write("n3", b"3"),
            Write("n4", b"4"),
            Write("n5", b"5"),
        ],
        &[],
    );
    let two = w.case(
        "two",
        &[Write("a.txt", &base), Write("b.txt", &base)],
        &[Write("a.txt", &src_edit), Write("b.txt", &src_edit)],
        &[Write("a.txt", &dst_edit), Write("b.txt", &dst_edit)],
    );
    let one = w.case(
        "one",
        &[Write("a.txt", &base)],
        &[Write("a.txt", &src_edit)],
        &[Write("a.txt", &dst_edit)],
    );
    let conflicts = |c: &Case| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .merge_option(MergeOption::ThreeWayMerge)
            .conflict_detail_level(Level::LineLevel)
            .send()
    };
    crate::assert_err!(
        conflicts(&wide).await,
        "MaximumItemsToCompareExceededException"
    );
    crate::assert_err!(
        conflicts(&two).await,
        "MaximumFileContentToLoadExceededException"
    );
    let dst_before = w.remote_branch(&two.dst_branch());
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(two.src_branch())
            .destination_commit_specifier(two.dst_branch())
            .send()
            .await,
        "MaximumFileContentToLoadExceededException"
    );
    assert_eq!(w.remote_branch(&two.dst_branch()), dst_before);
    // Within the limits the same kind of merge goes through.
    let out = conflicts(&one).await.unwrap();
    assert!(out.mergeable());
}

#[tokio::test]
async fn a_target_branch_ahead_of_the_destination_is_not_rewound() {
    // The destination is named by commit id while the target branch has moved on from it: a
    // merge commit on the old destination would drop the newer commit from the branch.
    let w = world().await;
    let c = w.case(
        "ahead",
        &[Write("f", b"1\n")],
        &[Write("s", b"s\n")],
        &[Write("d", b"d\n")],
    );
    w.g(&["checkout", "-q", &c.dst_branch()]);
    w.g(&["checkout", "-q", "-b", "ahead-target"]);
    w.apply(&[Write("newer", b"n\n")]);
    w.g(&["commit", "-q", "-m", "newer"]);
    w.g(&["push", "-q", "origin", "ahead-target"]);
    let before = w.remote_branch("ahead-target");
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(&c.dst)
            .target_branch("ahead-target")
            .send()
            .await,
        "ConcurrentReferenceUpdateException"
    );
    assert_eq!(w.remote_branch("ahead-target"), before);
}
