//! Folder-level merges: folders only one side touched, and conflicts above source-only folders.

use super::*;

#[tokio::test]
async fn folders_only_one_side_touched_merge_like_git() {
    // Folders the destination left alone are taken whole from the source; the result must
    // still be git's tree, next to folders both sides changed and folders the source deleted
    // or emptied (keepEmptyFolders).
    let w = world().await;
    let c = w.case(
        "nested",
        &[
            Write("a/x/1", b"1\n"),
            Write("a/x/deep/2", b"2\n"),
            Write("a/y/3", b"3\n"),
            Write("a/z/4", b"4\n"),
            Write("b/5", b"5\n"),
            Write("c/gone/6", b"6\n"),
        ],
        &[
            Write("a/x/1", b"1 source\n"),
            Write("a/x/new/7", b"7\n"),
            Delete("a/x/deep/2"),
            Write("a/y/3", b"3 source\n"),
            Delete("c/gone/6"),
        ],
        &[
            Write("a/z/4", b"4 destination\n"),
            Write("b/5", b"5 destination\n"),
        ],
    );
    let git_tree = w.git_merge(&c).expect("git merges it cleanly");
    for level in [Level::FileLevel, Level::LineLevel] {
        let (commit, tree) = w
            .unreferenced(&c, level.clone(), Strategy::None, None)
            .await
            .unwrap();
        if tree != git_tree {
            w.g(&["fetch", "-q", "origin", &commit]);
            let ours = w.g(&["ls-tree", "-r", "-t", &tree]);
            let git = w.g(&["ls-tree", "-r", "-t", &git_tree]);
            panic!("{level:?}: ours\n{ours}\ngit\n{git}");
        }
    }
    let out = w
        .client
        .merge_branches_by_three_way()
        .repository_name(REPO)
        .source_commit_specifier(c.src_branch())
        .destination_commit_specifier(c.dst_branch())
        .keep_empty_folders(true)
        .send()
        .await
        .unwrap();
    let merged = out.commit_id().unwrap();
    assert_eq!(
        w.content(merged, "a/x/1").await.as_deref(),
        Some(&b"1 source\n"[..])
    );
    assert_eq!(
        w.content(merged, "a/x/new/7").await.as_deref(),
        Some(&b"7\n"[..])
    );
    assert_eq!(w.content(merged, "a/x/deep/2").await, None);
    assert_eq!(
        w.content(merged, "b/5").await.as_deref(),
        Some(&b"5 destination\n"[..])
    );
    // The folders the source emptied keep a .gitkeep.
    assert_eq!(
        w.content(merged, "c/gone/.gitkeep").await.as_deref(),
        Some(&b""[..])
    );
    assert_eq!(
        w.content(merged, "a/x/deep/.gitkeep").await.as_deref(),
        Some(&b""[..])
    );
}

#[tokio::test]
async fn a_conflict_above_source_only_folders_keeps_the_destination() {
    // The source replaced the file `a` with a folder `a/b/x`; the destination edited `a`. The
    // folder is the source's alone, but it lies under the conflict at `a`: accepting the
    // destination must give exactly the destination's tree.
    let w = world().await;
    let c = w.case(
        "above",
        &[Write("a", b"base\n"), Write("keep", b"k\n")],
        &[Delete("a"), Write("a/b/x", b"x\n")],
        &[Write("a", b"destination\n")],
    );
    let dst_tree = w.g(&["rev-parse", &format!("{}^{{tree}}", c.dst)]);
    let src_tree = w.g(&["rev-parse", &format!("{}^{{tree}}", c.src)]);
    for level in [Level::FileLevel, Level::LineLevel] {
        let (_, tree) = w
            .unreferenced(&c, level.clone(), Strategy::AcceptDestination, None)
            .await
            .unwrap();
        assert_eq!(tree, dst_tree, "{level:?}");
        let (_, tree) = w
            .unreferenced(&c, level.clone(), Strategy::AcceptSource, None)
            .await
            .unwrap();
        assert_eq!(tree, src_tree, "{level:?}");
    }
}
