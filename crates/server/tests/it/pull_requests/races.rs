//! API merges racing pushes to the destination: whichever wins each time, nothing
//! acknowledged is lost.

use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[tokio::test]
async fn api_merges_racing_pushes_never_lose_a_push() {
    let w = world().await;
    const N: usize = 4;
    let mut prs = Vec::new();
    for i in 0..N {
        let src = format!("r{i}");
        w.branch(&src, "main", &format!("r{i}.txt"), "r\n");
        prs.push(id(&w.create(&src, Some("main")).await));
    }
    // A pusher adds commits to main until the merges are done, retrying on top of what it
    // finds when its push is refused (a merge got there first).
    let pusher = w.git.clone(&w.url, "pusher");
    let git = crate::common::git::Git::new();
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let (landed, each_push) = std::sync::mpsc::channel();
    let pushed = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for i in 0..300 {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            git.ok(&pusher, &["fetch", "-q", "origin"]);
            git.ok(&pusher, &["reset", "-q", "--hard", "origin/main"]);
            let commit = git.commit_file(&pusher, &format!("p{i}.txt"), "p\n", "pushed");
            if git
                .run(&pusher, &["push", "-q", "origin", "main"])
                .status
                .success()
            {
                acknowledged.push(commit);
                let _ = landed.send(());
            }
        }
        acknowledged
    });
    let mut merges = Vec::new();
    let mut refused = 0;
    for pr in &prs {
        // Each merge starts right after a push landed, while the pusher prepares the next.
        let _ = each_push.recv();
        for _ in 0..100 {
            match w
                .client
                .merge_pull_request_by_three_way()
                .pull_request_id(pr)
                .repository_name(REPO)
                .send()
                .await
            {
                Ok(out) => {
                    let pr = out.pull_request.unwrap();
                    merges.push(
                        target(&pr)
                            .merge_metadata()
                            .unwrap()
                            .merge_commit_id()
                            .unwrap()
                            .to_owned(),
                    );
                    break;
                }
                Err(e) => {
                    // The destination moved between reading it and moving it: nothing written,
                    // the pull request still open.
                    assert_eq!(code(&e), "ConcurrentReferenceUpdateException", "{e:?}");
                    assert!(is_open(&w.get(pr).await));
                    refused += 1;
                }
            }
        }
    }
    done.store(true, Ordering::SeqCst);
    let acknowledged = pushed.join().unwrap();
    assert!(!acknowledged.is_empty());
    assert_eq!(merges.len(), N, "every merge eventually landed");
    let main = w.remote("main").unwrap();
    w.g(&["fetch", "-q", "origin"]);
    for commit in acknowledged.iter().chain(&merges) {
        assert!(
            w.git
                .run(&w.dir, &["merge-base", "--is-ancestor", commit, &main])
                .status
                .success(),
            "{commit} is not on main ({refused} merges were refused on the way)"
        );
    }
}
