//! Merge options and the merge kinds: fast-forward, squash, three-way, unreferenced merge commits, nothing to merge.

use super::*;

#[tokio::test]
async fn fast_forward_and_merge_options() {
    let w = world().await;
    let main = w.g(&["rev-parse", "main"]);
    // ff-src is two commits ahead of main.
    w.g(&["checkout", "-q", "-b", "ff-src", "main"]);
    w.git.commit_file(&w.dir, "a.txt", "a\n", "ahead 1");
    let ahead = w.git.commit_file(&w.dir, "b.txt", "b\n", "ahead 2");
    w.g(&["branch", "ff-target", "main"]);
    w.g(&["push", "-q", "origin", "ff-src", "ff-target"]);
    let far = far_case(&w, "far");

    let options = |src: String, dst: String, level: Level| {
        w.client
            .get_merge_options()
            .repository_name(REPO)
            .source_commit_specifier(src)
            .destination_commit_specifier(dst)
            .conflict_detail_level(level)
            .send()
    };
    // Destination an ancestor of the source: all three, and the base is the destination.
    let out = options("ff-src".into(), "main".into(), Level::FileLevel)
        .await
        .unwrap();
    assert_eq!(
        out.merge_options(),
        [
            MergeOption::FastForwardMerge,
            MergeOption::SquashMerge,
            MergeOption::ThreeWayMerge
        ]
    );
    assert_eq!(out.base_commit_id(), main);
    assert_eq!(out.destination_commit_id(), main);
    assert_eq!(out.source_commit_id(), ahead);
    // Diverged: squash and three-way only where mergeable at that level.
    let out = options(far.src_branch(), far.dst_branch(), Level::LineLevel)
        .await
        .unwrap();
    assert_eq!(
        out.merge_options(),
        [MergeOption::SquashMerge, MergeOption::ThreeWayMerge]
    );
    assert_eq!(out.base_commit_id(), far.base);
    let out = options(far.src_branch(), far.dst_branch(), Level::FileLevel)
        .await
        .unwrap();
    assert!(out.merge_options().is_empty());
    // The reverse direction: the source is behind, nothing to fast-forward.
    let out = options("main".into(), "ff-src".into(), Level::FileLevel)
        .await
        .unwrap();
    assert!(!out.merge_options().contains(&MergeOption::FastForwardMerge));
    assert_eq!(out.base_commit_id(), main);

    // GetMergeConflicts with FAST_FORWARD_MERGE is just fast-forwardability.
    let ff_conflicts = |src: String, dst: String| {
        w.client
            .get_merge_conflicts()
            .repository_name(REPO)
            .source_commit_specifier(src)
            .destination_commit_specifier(dst)
            .merge_option(MergeOption::FastForwardMerge)
            .send()
    };
    let out = ff_conflicts("ff-src".into(), "main".into()).await.unwrap();
    assert!(out.mergeable() && out.conflict_metadata_list().is_empty());
    let out = ff_conflicts(far.src_branch(), far.dst_branch())
        .await
        .unwrap();
    assert!(!out.mergeable() && out.conflict_metadata_list().is_empty());

    // Fast-forward is refused when diverged, and nothing moves.
    crate::assert_err!(
        w.client
            .merge_branches_by_fast_forward()
            .repository_name(REPO)
            .source_commit_specifier(far.src_branch())
            .destination_commit_specifier(far.dst_branch())
            .send()
            .await,
        "ManualMergeRequiredException"
    );
    assert_eq!(w.remote_branch(&far.dst_branch()), Some(far.dst.clone()));

    // targetBranch errors.
    let ff = |dst: &str, target: Option<&str>| {
        w.client
            .merge_branches_by_fast_forward()
            .repository_name(REPO)
            .source_commit_specifier("ff-src")
            .destination_commit_specifier(dst)
            .set_target_branch(target.map(str::to_owned))
            .send()
    };
    w.g(&["tag", "v1", "main"]);
    w.g(&["push", "-q", "origin", "v1"]);
    crate::assert_err!(
        ff("main", Some("no-such-branch")).await,
        "BranchDoesNotExistException"
    );
    crate::assert_err!(ff("main", Some("v1")).await, "BranchNameIsTagNameException");
    crate::assert_err!(
        ff("main", Some("bad..name")).await,
        "InvalidBranchNameException"
    );
    // A destination given as a commit id names no branch to move.
    crate::assert_err!(ff(&main, None).await, "InvalidTargetBranchException");

    // targetBranch moves that branch, not the destination.
    let out = ff(&main, Some("ff-target")).await.unwrap();
    assert_eq!(out.commit_id(), Some(ahead.as_str()));
    assert_eq!(
        out.tree_id(),
        Some(w.g(&["rev-parse", "ff-src^{tree}"]).as_str())
    );
    assert_eq!(w.remote_branch("ff-target"), Some(ahead.clone()));
    assert_eq!(w.remote_branch("main"), Some(main.clone()));
    // By default the destination branch moves.
    let out = ff("main", None).await.unwrap();
    assert_eq!(out.commit_id(), Some(ahead.as_str()));
    assert_eq!(w.remote_branch("main"), Some(ahead.clone()));
    // A fast-forward leaves no merge commit.
    let out = w
        .client
        .get_merge_commit()
        .repository_name(REPO)
        .source_commit_specifier("ff-src")
        .destination_commit_specifier("main")
        .send()
        .await
        .unwrap();
    assert_eq!(out.merged_commit_id(), None);
    assert_eq!(out.base_commit_id(), Some(ahead.as_str()));
}

/// A destination that already contains the source (or is the source) has nothing to merge:
/// squash, three-way and unreferenced merges answer with the destination itself, as `git
/// merge` answers "Already up to date", and write no commit.
#[tokio::test]
async fn nothing_to_merge_when_the_destination_contains_the_source() {
    let w = world().await;
    let c = far_case(&w, "upto");
    // The destination merges in the source; the source is then behind it.
    let merged = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .send()
        .await
        .unwrap()
        .commit_id()
        .unwrap()
        .to_owned();
    w.g(&["fetch", "-q", "origin"]);
    let tree = w.g(&["rev-parse", &format!("{merged}^{{tree}}")]);
    let dst = c.dst_branch();
    for (src, dst) in [(c.src_branch(), dst.clone()), (dst.clone(), dst.clone())] {
        let out = w
            .client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(&src)
            .destination_commit_specifier(&dst)
            .send()
            .await
            .unwrap();
        assert_eq!(out.commit_id(), Some(merged.as_str()), "{src} into {dst}");
        assert_eq!(out.tree_id(), Some(tree.as_str()));
        let out = w
            .client
            .merge_branches_by_squash()
            .repository_name(REPO)
            .source_commit_specifier(&src)
            .destination_commit_specifier(&dst)
            .send()
            .await
            .unwrap();
        assert_eq!(out.commit_id(), Some(merged.as_str()), "{src} into {dst}");
        assert_eq!(w.remote_branch(&dst), Some(merged.clone()));
        for option in [MergeOption::SquashMerge, MergeOption::ThreeWayMerge] {
            let out = w
                .client
                .create_unreferenced_merge_commit()
                .repository_name(REPO)
                .source_commit_specifier(&src)
                .destination_commit_specifier(&dst)
                .merge_option(option)
                .send()
                .await
                .unwrap();
            assert_eq!(out.commit_id(), Some(merged.as_str()));
        }
    }
    // A branch merged into itself by fast-forward is its own tip.
    let out = w
        .client
        .merge_branches_by_fast_forward()
        .repository_name(REPO)
        .source_commit_specifier(&dst)
        .destination_commit_specifier(&dst)
        .send()
        .await
        .unwrap();
    assert_eq!(out.commit_id(), Some(merged.as_str()));
    // With a targetBranch elsewhere, that branch is moved to the (unchanged) destination.
    w.g(&[
        "push",
        "-q",
        "origin",
        &format!("{}:refs/heads/upto-target", c.base),
    ]);
    let out = w
        .client
        .merge_branches_by_squash()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(&dst)
        .target_branch("upto-target")
        .send()
        .await
        .unwrap();
    assert_eq!(out.commit_id(), Some(merged.as_str()));
    assert_eq!(w.remote_branch("upto-target"), Some(merged.clone()));
    assert_eq!(w.remote_branch(&dst), Some(merged));
}

#[tokio::test]
async fn squash_and_three_way_merges_as_git_sees_them() {
    let w = world().await;
    let three = far_case(&w, "three");
    let squash = far_case(&w, "squash");
    let merge_commit = |c: &Case| {
        w.client
            .get_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .conflict_detail_level(Level::LineLevel)
            .send()
    };

    // Before the merge: endpoints and base, no merged commit.
    let out = merge_commit(&three).await.unwrap();
    assert_eq!(out.source_commit_id(), Some(three.src.as_str()));
    assert_eq!(out.destination_commit_id(), Some(three.dst.as_str()));
    assert_eq!(out.base_commit_id(), Some(three.base.as_str()));
    assert_eq!(out.merged_commit_id(), None);

    // Three-way: two parents [destination, source], git's tree, author and message honoured.
    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(three.src_branch())
        .destination_commit_specifier(three.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .author_name("Merger")
        .email("merger@example.com")
        .commit_message("Merge three-src")
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap().to_owned();
    let tree = out.tree_id().unwrap().to_owned();
    assert_eq!(Some(tree.clone()), w.git_merge(&three));
    assert_eq!(w.remote_branch(&three.dst_branch()), Some(commit.clone()));
    let got = w.commit(&commit).await;
    assert_eq!(got.parents(), [three.dst.clone(), three.src.clone()]);
    assert_eq!(got.tree_id(), Some(tree.as_str()));
    assert_eq!(got.author().unwrap().name(), Some("Merger"));
    assert_eq!(got.author().unwrap().email(), Some("merger@example.com"));
    assert_eq!(got.message().map(str::trim_end), Some("Merge three-src"));
    // Cloned back, git sees an ordinary merge commit.
    let clone = w.git.clone(&w.url, "clone");
    let dst_ref = format!("origin/{}", three.dst_branch());
    assert_eq!(
        w.git
            .ok(&clone, &["log", "--merges", "--format=%H", &dst_ref]),
        commit
    );
    let raw = w.git.ok(&clone, &["cat-file", "-p", &commit]);
    let parents: Vec<&str> = raw
        .lines()
        .filter_map(|l| l.strip_prefix("parent "))
        .collect();
    assert_eq!(parents, [three.dst.as_str(), three.src.as_str()]);
    assert!(raw.starts_with(&format!("tree {tree}\n")), "{raw}");
    assert!(
        raw.contains("\nauthor Merger <merger@example.com> "),
        "{raw}"
    );
    w.git.ok(&clone, &["fsck", "--no-progress"]);
    // GetMergeCommit now finds it.
    let out = merge_commit(&three).await.unwrap();
    assert_eq!(out.merged_commit_id(), Some(commit.as_str()));
    assert_eq!(out.base_commit_id(), Some(three.src.as_str()));

    // Squash: one parent (the destination tip), the merged tree, no merge in git's eyes.
    let out = w
        .client
        .merge_branches_by_squash()
        .repository_name(REPO)
        .source_commit_specifier(squash.src_branch())
        .destination_commit_specifier(squash.dst_branch())
        .conflict_detail_level(Level::LineLevel)
        .author_name("Squasher")
        .email("squash@example.com")
        .commit_message("Squashed")
        .send()
        .await
        .unwrap();
    let commit = out.commit_id().unwrap().to_owned();
    assert_eq!(out.tree_id().map(str::to_owned), w.git_merge(&squash));
    assert_eq!(w.remote_branch(&squash.dst_branch()), Some(commit.clone()));
    let got = w.commit(&commit).await;
    assert_eq!(got.parents(), std::slice::from_ref(&squash.dst));
    assert_eq!(got.author().unwrap().name(), Some("Squasher"));
    assert_eq!(got.message().map(str::trim_end), Some("Squashed"));
    w.git.ok(&clone, &["fetch", "-q", "origin"]);
    let dst_ref = format!("origin/{}", squash.dst_branch());
    assert_eq!(
        w.git
            .ok(&clone, &["log", "--merges", "--format=%H", &dst_ref]),
        ""
    );
    assert_eq!(
        w.git.ok(&clone, &["rev-parse", &format!("{dst_ref}^")]),
        squash.dst
    );
    // The source is not merged into the destination's history.
    assert_eq!(
        merge_commit(&squash).await.unwrap().merged_commit_id(),
        None
    );

    // Author, email and message limits as in CreateCommit.
    let bad = [
        (
            "x".repeat(1025),
            "a@example.com".to_owned(),
            "m".to_owned(),
            "NameLengthExceededException",
        ),
        (
            "n".to_owned(),
            "a<b@example.com".to_owned(),
            "m".to_owned(),
            "InvalidEmailException",
        ),
        (
            "n".to_owned(),
            "a@example.com".to_owned(),
            "m".repeat(256 * 1024 + 1),
            "CommitMessageLengthExceededException",
        ),
    ];
    let other = far_case(&w, "other");
    for (name, email, message, exception) in bad {
        crate::assert_err!(
            w.client
                .merge_branches_by_three_way()
                .repository_name(REPO)
                .source_commit_specifier(other.src_branch())
                .destination_commit_specifier(other.dst_branch())
                .conflict_detail_level(Level::LineLevel)
                .author_name(&name)
                .email(&email)
                .commit_message(&message)
                .send()
                .await,
            exception
        );
        crate::assert_err!(
            w.client
                .create_unreferenced_merge_commit()
                .repository_name(REPO)
                .source_commit_specifier(other.src_branch())
                .destination_commit_specifier(other.dst_branch())
                .merge_option(MergeOption::SquashMerge)
                .conflict_detail_level(Level::LineLevel)
                .author_name(name)
                .email(email)
                .commit_message(message)
                .send()
                .await,
            exception
        );
    }
    assert_eq!(
        w.remote_branch(&other.dst_branch()),
        Some(other.dst.clone())
    );
    // targetBranch for squash and three-way: a destination commit id needs one.
    crate::assert_err!(
        w.client
            .merge_branches_by_squash()
            .repository_name(REPO)
            .source_commit_specifier(&other.src)
            .destination_commit_specifier(&other.dst)
            .conflict_detail_level(Level::LineLevel)
            .send()
            .await,
        "InvalidTargetBranchException"
    );
    crate::assert_err!(
        w.client
            .merge_branches_by_three_way()
            .repository_name(REPO)
            .source_commit_specifier(&other.src)
            .destination_commit_specifier(&other.dst)
            .conflict_detail_level(Level::LineLevel)
            .target_branch("missing")
            .send()
            .await,
        "BranchDoesNotExistException"
    );
    // With a targetBranch, that branch moves.
    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(&other.src)
        .destination_commit_specifier(&other.dst)
        .conflict_detail_level(Level::LineLevel)
        .target_branch(other.dst_branch())
        .send()
        .await
        .unwrap();
    assert_eq!(
        w.remote_branch(&other.dst_branch()).as_deref(),
        out.commit_id()
    );
}

#[tokio::test]
async fn unreferenced_merge_commits_move_no_ref() {
    let w = world().await;
    let c = far_case(&w, "far");
    let refs_before = w.git.ls_remote(&w.url);
    let create = |option: Option<MergeOption>| {
        w.client
            .create_unreferenced_merge_commit()
            .repository_name(REPO)
            .source_commit_specifier(c.src_branch())
            .destination_commit_specifier(c.dst_branch())
            .set_merge_option(option)
            .conflict_detail_level(Level::LineLevel)
            .author_name("Ghost")
            .email("ghost@example.com")
            .send()
    };
    let three = create(Some(MergeOption::ThreeWayMerge)).await.unwrap();
    let squash = create(Some(MergeOption::SquashMerge)).await.unwrap();
    assert_eq!(
        w.git.ls_remote(&w.url),
        refs_before,
        "no ref moved or appeared"
    );
    let expected_tree = w.git_merge(&c);
    for (out, parents) in [
        (three.commit_id(), vec![c.dst.clone(), c.src.clone()]),
        (squash.commit_id(), vec![c.dst.clone()]),
    ] {
        let id = out.unwrap();
        let got = w.commit(id).await;
        assert_eq!(got.parents(), parents);
        assert_eq!(got.tree_id().map(str::to_owned), expected_tree);
        assert_eq!(got.author().unwrap().name(), Some("Ghost"));
        // git can fetch it by id although no ref points at it.
        w.g(&["fetch", "-q", "origin", id]);
        assert_eq!(w.g(&["cat-file", "-t", id]), "commit");
        assert_eq!(
            w.g(&["rev-parse", &format!("{id}^{{tree}}")]),
            expected_tree.clone().unwrap()
        );
    }
    assert_eq!(three.tree_id(), squash.tree_id());
    crate::assert_err!(
        create(Some(MergeOption::FastForwardMerge)).await,
        "InvalidMergeOptionException"
    );
    crate::assert_err!(create(None).await, "MergeOptionRequiredException");
    crate::assert_err!(
        create(Some(MergeOption::from("OCTOPUS_MERGE"))).await,
        "InvalidMergeOptionException"
    );
}
