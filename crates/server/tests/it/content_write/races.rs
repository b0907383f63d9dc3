//! One truth, racing writers: API commits and pushes, racing PutFiles, an API write racing a push.

use super::*;
use crate::assert_err;
use crate::common::*;

#[tokio::test]
async fn api_commits_and_pushes_are_one_truth() {
    let (_server, client, url) = server_with("one").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("a.txt", "1\n")]]);
    let pushed = git.ok(&work, &["rev-parse", "HEAD"]);
    assert_eq!(tip(&client, "one", "main").await, pushed);

    // An API commit is fetched at once.
    let api = put(&client, "one", "a.txt", b"2\n", Some(&pushed)).await;
    git.ok(&work, &["fetch", "-q", "origin"]);
    assert_eq!(git.ok(&work, &["rev-parse", "origin/main"]), api);
    assert_eq!(git.ok(&work, &["rev-parse", "origin/main~1"]), pushed);
    git.ok(&work, &["merge", "-q", "--ff-only", "origin/main"]);

    // A push is read at once by GetBranch, GetFile, GetFolder.
    let next = git.commit_file(&work, "dir/new.txt", "3\n", "push");
    git.ok(&work, &["push", "-q", "origin", "main"]);
    assert_eq!(tip(&client, "one", "main").await, next);
    let got = client
        .get_file()
        .repository_name("one")
        .file_path("dir/new.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.commit_id(), next);
    assert_eq!(got.file_content().as_ref(), b"3\n");
    let folder = client
        .get_folder()
        .repository_name("one")
        .folder_path("dir")
        .send()
        .await
        .unwrap();
    assert_eq!(folder.commit_id(), next);
    assert_eq!(folder.files()[0].absolute_path(), Some("dir/new.txt"));
    // The pushed tip is the parent the API wants next.
    assert_err!(
        put_req(&client, "one", "a.txt", b"4\n", &api).send().await,
        "ParentCommitIdOutdatedException"
    );
    put(&client, "one", "a.txt", b"4\n", Some(&next)).await;
    let fresh = git.clone(&url, "fresh");
    assert_eq!(std::fs::read(fresh.join("a.txt")).unwrap(), b"4\n");
    assert_eq!(std::fs::read(fresh.join("dir/new.txt")).unwrap(), b"3\n");
}

#[tokio::test]
async fn racing_put_files_on_one_parent_have_one_winner() {
    let (_server, client, url) = server_with("race").await;
    let base = put(&client, "race", "base.txt", b"base", None).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            put_req(&client, "race", &format!("w{i}.txt"), b"w", &base)
                .send()
                .await
                .map(|o| o.commit_id().to_owned())
                .map_err(|e| code(&e))
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(c) => winners.push(c),
            Err(e) => assert_eq!(e, "ParentCommitIdOutdatedException"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(tip(&client, "race", "main").await, winners[0]);
    let git = Git::new();
    assert_eq!(
        git.remote_ref(&url, "refs/heads/main").as_deref(),
        Some(winners[0].as_str())
    );
}

#[tokio::test]
async fn api_write_racing_a_push_never_loses_an_acknowledged_commit() {
    let (_server, client, url) = server_with("mix").await;
    let git = Git::new();
    let work = git.push_new(&url, "work", &[&[("seed.txt", "seed\n")]]);
    let mut acknowledged = Vec::new();
    let (mut api_wins, mut push_wins) = (0, 0);
    for round in 0..12 {
        sync(&git, &work);
        let base = git.ok(&work, &["rev-parse", "HEAD"]);
        let local = git.commit_file(&work, &format!("push{round}.txt"), "p\n", "push");
        let push = {
            let mut cmd = git.command(&work);
            cmd.args(["push", "-q", "origin", "HEAD:main"]);
            std::thread::spawn(move || cmd.output().unwrap().status.success())
        };
        // The API write starts later each round (after more GetBranch calls), so that early
        // rounds see the API first, late ones the push first, and some land in between.
        for _ in 0..round * 8 {
            if tip(&client, "mix", "main").await != base {
                break;
            }
        }
        let api = put_req(&client, "mix", &format!("api{round}.txt"), b"a\n", &base)
            .send()
            .await;
        let pushed = push.join().unwrap();
        let api_won = match api {
            Ok(o) => {
                acknowledged.push(o.commit_id().to_owned());
                true
            }
            Err(e) => {
                assert_eq!(code(&e), "ParentCommitIdOutdatedException", "{e:?}");
                false
            }
        };
        if pushed {
            acknowledged.push(local);
        }
        // Both started from the same tip: exactly one of them moved the branch.
        assert!(
            api_won != pushed,
            "round {round}: api {api_won}, push {pushed}"
        );
        api_wins += usize::from(api_won);
        push_wins += usize::from(pushed);
        assert_eq!(
            &tip(&client, "mix", "main").await,
            acknowledged.last().unwrap(),
            "round {round}"
        );
    }
    eprintln!("API won {api_wins} rounds, git push {push_wins}");
    git.ok(&work, &["fetch", "-q", "origin"]);
    let history = git.ok(&work, &["rev-list", "origin/main"]);
    for c in &acknowledged {
        assert!(history.lines().any(|l| l == c), "acknowledged {c} was lost");
    }
    // A linear history: the seed plus exactly the acknowledged commits.
    assert_eq!(history.lines().count(), 1 + acknowledged.len());
}
