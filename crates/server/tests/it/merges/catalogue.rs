//! The fixture catalogue of conflicts at both detail levels, against git.

use super::*;
use aws_sdk_codecommit::types::ChangeTypeEnum::{Added as A, Deleted as D, Modified as M};
use aws_sdk_codecommit::types::FileModeTypeEnum::{Executable, Normal, Symlink};
use aws_sdk_codecommit::types::ObjectTypeEnum::{Directory, File, SymbolicLink};

#[tokio::test]
async fn catalogue_of_conflicts_at_both_detail_levels() {
    let w = world().await;
    let ten = numbered(10, &[]);
    let ten_src5 = numbered(10, &[(5, "five-src")]);
    let ten_dst5 = numbered(10, &[(5, "five-dst")]);

    let clean = w.case(
        "clean",
        &[Write("a.txt", b"a\n"), Write("b.txt", b"b\n")],
        &[Write("a.txt", b"a2\n"), Write("dir/new.txt", b"new\n")],
        &[Write("b.txt", b"b2\n"), Write("c.txt", b"c\n")],
    );
    let same_line = w.case(
        "same-line",
        &[Write("f.txt", &ten)],
        &[Write("f.txt", &ten_src5)],
        &[Write("f.txt", &ten_dst5)],
    );
    let adjacent = w.case(
        "adjacent",
        &[Write("f.txt", &ten)],
        &[Write("f.txt", &numbered(10, &[(4, "four-src")]))],
        &[Write("f.txt", &ten_dst5)],
    );
    let far_apart = w.case(
        "far-apart",
        &[Write("f.txt", &ten)],
        &[Write("f.txt", &numbered(10, &[(2, "two-src")]))],
        &[Write("f.txt", &numbered(10, &[(9, "nine-dst")]))],
    );
    let edit_delete = w.case(
        "edit-delete",
        &[Write("f.txt", &ten), Write("keep.txt", b"k\n")],
        &[Write("f.txt", &ten_src5)],
        &[Delete("f.txt")],
    );
    let add_same = w.case(
        "add-same",
        &[Write("keep.txt", b"k\n")],
        &[Write("new.txt", b"same\n")],
        &[Write("new.txt", b"same\n")],
    );
    let add_diff = w.case(
        "add-diff",
        &[Write("keep.txt", b"k\n")],
        &[Write("new.txt", b"mine\n")],
        &[Write("new.txt", b"yours, longer\n")],
    );
    let mode_change = w.case(
        "mode-change",
        &[Write("run.sh", &ten)],
        &[Exec("run.sh")],
        &[Write("run.sh", &numbered(10, &[(9, "nine-dst")]))],
    );
    let add_mode = w.case(
        "add-mode",
        &[Write("keep.txt", b"k\n")],
        &[Write("tool", b"x\n"), Exec("tool")],
        &[Write("tool", b"x\n")],
    );
    let file_dir = w.case(
        "file-dir",
        &[Write("thing", b"t\n"), Write("keep.txt", b"k\n")],
        &[Write("thing", b"t2\n")],
        &[Delete("thing"), Write("thing/inside.txt", b"i\n")],
    );
    let symlink = w.case(
        "symlink",
        &[Write("link", b"x\n")],
        &[Link("link", "target.txt")],
        &[Write("link", b"y\n")],
    );
    let binary_case = w.case(
        "binary",
        &[Write("blob.bin", b"\0base\x01\x02")],
        &[Write("blob.bin", b"\0source side\x03")],
        &[Write("blob.bin", b"\0dst\x04")],
    );
    let rename_clean = w.case(
        "rename-clean",
        &[Write("old.txt", &ten), Write("other.txt", b"o\n")],
        &[Move("old.txt", "new.txt")],
        &[Write("other.txt", b"o2\n")],
    );
    let rename_edit = w.case(
        "rename-edit",
        &[Write("old.txt", &ten)],
        &[Move("old.txt", "new.txt")],
        &[Write("old.txt", &ten_dst5)],
    );
    // Many files: 20 changed on both sides far apart, 20 more only on the destination.
    let names: Vec<String> = (0..40).map(|i| format!("many/f{i:02}.txt")).collect();
    let base_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &ten)).collect();
    let two = numbered(10, &[(2, "two-src")]);
    let nine = numbered(10, &[(9, "nine-dst")]);
    let src_ops: Vec<Op<'_>> = names[..20].iter().map(|n| Write(n, &two)).collect();
    let dst_ops: Vec<Op<'_>> = names.iter().map(|n| Write(n, &nine)).collect();
    let many = w.case("many", &base_ops, &src_ops, &dst_ops);

    // --- clean: nothing to report at either level.
    for level in [Level::FileLevel, Level::LineLevel] {
        let out = w.conflicts(&clean, level).await;
        assert!(out.mergeable());
        assert!(out.conflict_metadata_list().is_empty());
        assert_eq!(out.base_commit_id(), Some(clean.base.as_str()));
        assert_eq!(out.source_commit_id(), clean.src);
        assert_eq!(out.destination_commit_id(), clean.dst);
        assert!(out.next_token().is_none());
    }

    // --- same-line edits conflict at both levels; the metadata describes the three files.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&same_line, level.clone()).await, "f.txt");
        assert_eq!(flags(&m), (true, false, false, 1), "{level:?}");
        assert_eq!(ops(&m), (M, M));
        assert_eq!(
            sizes(&m),
            [
                ten_src5.len() as i64,
                ten_dst5.len() as i64,
                ten.len() as i64
            ]
        );
        assert_eq!(modes(&m), [Some(Normal), Some(Normal), Some(Normal)]);
        assert_eq!(types(&m), [Some(File), Some(File), Some(File)]);
        assert_eq!(binary(&m), [Some(false), Some(false), Some(false)]);
    }
    // --- adjacent lines conflict at both levels (as in git).
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&adjacent, level).await, "f.txt");
        assert_eq!(flags(&m), (true, false, false, 1));
    }
    // --- far-apart edits: a file conflict, but a clean line merge.
    let m = only_conflict(&w.conflicts(&far_apart, Level::FileLevel).await, "f.txt");
    assert_eq!(flags(&m), (true, false, false, 1));
    let out = w.conflicts(&far_apart, Level::LineLevel).await;
    assert!(out.mergeable() && out.conflict_metadata_list().is_empty());
    // --- edit/delete: a content conflict, the deleted side has no file.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&edit_delete, level).await, "f.txt");
        assert_eq!(flags(&m), (true, false, false, 1));
        assert_eq!(ops(&m), (M, D));
        assert_eq!(types(&m), [Some(File), None, Some(File)]);
        assert_eq!(modes(&m), [Some(Normal), None, Some(Normal)]);
        assert_eq!(sizes(&m), [ten_src5.len() as i64, 0, ten.len() as i64]);
    }
    // --- add/add: the same content is no conflict, different content is.
    for level in [Level::FileLevel, Level::LineLevel] {
        assert!(w.conflicts(&add_same, level.clone()).await.mergeable());
        let m = only_conflict(&w.conflicts(&add_diff, level).await, "new.txt");
        assert_eq!(flags(&m), (true, false, false, 1));
        assert_eq!(ops(&m), (A, A));
        assert_eq!(types(&m), [Some(File), Some(File), None]);
        assert_eq!(sizes(&m), [5, 14, 0]);
    }
    // --- a mode change on one side and an edit on the other: changed on both sides at file
    // level; the line merge keeps both (the executable bit and the edit).
    let m = only_conflict(&w.conflicts(&mode_change, Level::FileLevel).await, "run.sh");
    assert!(m.content_conflict() && !m.file_mode_conflict());
    assert_eq!(modes(&m), [Some(Executable), Some(Normal), Some(Normal)]);
    assert!(
        w.conflicts(&mode_change, Level::LineLevel)
            .await
            .mergeable()
    );
    // --- the same file added with different modes: only a mode conflict.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&add_mode, level).await, "tool");
        assert_eq!(flags(&m), (false, true, false, 1));
        assert_eq!(modes(&m), [Some(Executable), Some(Normal), None]);
        assert_eq!(ops(&m), (A, A));
    }
    // --- a file against a directory: an object type conflict, reported at the path.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&file_dir, level).await, "thing");
        assert_eq!(flags(&m), (false, false, true, 1));
        assert_eq!(types(&m), [Some(File), Some(Directory), Some(File)]);
    }
    // --- a symbolic link against a file.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&symlink, level).await, "link");
        assert!(m.object_type_conflict());
        assert_eq!(types(&m), [Some(SymbolicLink), Some(File), Some(File)]);
        assert_eq!(modes(&m), [Some(Symlink), Some(Normal), Some(Normal)]);
        assert_eq!(sizes(&m)[0], "target.txt".len() as i64);
    }
    // --- a binary file changed on both sides cannot be merged by lines.
    for level in [Level::FileLevel, Level::LineLevel] {
        let m = only_conflict(&w.conflicts(&binary_case, level).await, "blob.bin");
        assert_eq!(flags(&m), (true, false, false, 1));
        assert_eq!(binary(&m), [Some(true), Some(true), Some(true)]);
    }
    // --- a rename on one side and an unrelated edit merge cleanly.
    for level in [Level::FileLevel, Level::LineLevel] {
        assert!(w.conflicts(&rename_clean, level).await.mergeable());
    }
    // --- a rename against an edit of the old path: CodeCommit reports changes as A/M/D only,
    // so this is a delete against an edit (git, which follows renames, merges it).
    let m = only_conflict(
        &w.conflicts(&rename_edit, Level::LineLevel).await,
        "old.txt",
    );
    assert_eq!(ops(&m), (D, M));
    assert!(m.content_conflict());
    // --- many files: 20 conflicts at file level (all listed), none at line level.
    let out = w.conflicts(&many, Level::FileLevel).await;
    assert!(!out.mergeable());
    let listed: Vec<&str> = out
        .conflict_metadata_list()
        .iter()
        .map(|m| m.file_path().unwrap())
        .collect();
    assert_eq!(
        listed,
        names[..20].iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(w.conflicts(&many, Level::LineLevel).await.mergeable());

    // Against git: wherever the line-level merge is clean, the merged tree is git's; wherever
    // git finds a conflict, so does the line-level analysis.
    let all = [
        &clean,
        &same_line,
        &adjacent,
        &far_apart,
        &edit_delete,
        &add_same,
        &add_diff,
        &mode_change,
        &add_mode,
        &file_dir,
        &symlink,
        &binary_case,
        &rename_clean,
        &rename_edit,
        &many,
    ];
    let mut clean_count = 0;
    for c in all {
        let ours = w.conflicts(c, Level::LineLevel).await.mergeable();
        let theirs = w.git_merge(c);
        match (ours, &theirs) {
            (true, Some(tree)) => {
                clean_count += 1;
                let (_, our_tree) = w
                    .unreferenced(c, Level::LineLevel, Strategy::None, None)
                    .await
                    .unwrap();
                assert_eq!(
                    &our_tree, tree,
                    "{}: merged tree differs from git's",
                    c.name
                );
            }
            (true, None) => panic!("{}: mergeable here, but git finds a conflict", c.name),
            (false, _) => {
                // Only a rename is merged by git and not here.
                assert!(
                    theirs.is_none() || c.name == "rename-edit",
                    "{}: git merges it cleanly, the line-level analysis does not",
                    c.name
                );
                assert_eq!(
                    w.unreferenced(c, Level::LineLevel, Strategy::None, None)
                        .await,
                    Err("ManualMergeRequiredException".to_owned()),
                    "{}",
                    c.name
                );
            }
        }
    }
    assert_eq!(
        clean_count, 6,
        "clean, far-apart, add-same, mode-change, rename-clean, many"
    );
}
