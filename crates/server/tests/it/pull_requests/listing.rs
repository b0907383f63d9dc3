//! ListPullRequests (filters, most recent activity first, paging) and
//! DescribePullRequestEvents (filters, paging); accounts and regions see only their own.

use super::*;
use crate::assert_err;

/// Every id ListPullRequests answers (all pages of `page` items).
async fn list_all(
    client: &Client,
    repo: &str,
    status: Option<PullRequestStatusEnum>,
    author: Option<&str>,
    page: i32,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .list_pull_requests()
            .repository_name(repo)
            .set_pull_request_status(status.clone())
            .set_author_arn(author.map(str::to_owned))
            .max_results(page)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert!(out.pull_request_ids().len() <= page as usize);
        ids.extend(out.pull_request_ids().iter().cloned());
        match out.next_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return ids,
        }
    }
}

#[tokio::test]
async fn list_filters_orders_by_activity_and_pages_to_the_end() {
    let w = world().await;
    let (bob, bob_arn) = w
        .server
        .assume_role("arn:aws:iam::000000000000:role/Dev", "bob")
        .await;
    for i in 0..7 {
        w.branch(&format!("b{i}"), "main", &format!("f{i}.txt"), "x\n");
        let client = if i % 2 == 0 { &w.client } else { &bob };
        create_with(client, REPO, &format!("b{i}"), None, &format!("pr {i}")).await;
    }
    // Newest first.
    let all = list_all(&w.client, REPO, None, None, 2).await;
    assert_eq!(all, ["7", "6", "5", "4", "3", "2", "1"]);
    // Activity reorders: a title change on #2 and a push to #1's source.
    w.client
        .update_pull_request_title()
        .pull_request_id("2")
        .title("touched")
        .send()
        .await
        .unwrap();
    w.commit("b0", "again.txt", "again\n");
    assert_eq!(
        list_all(&w.client, REPO, None, None, 3).await,
        ["1", "2", "7", "6", "5", "4", "3"]
    );
    w.client
        .update_pull_request_status()
        .pull_request_id("5")
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        list_all(
            &w.client,
            REPO,
            Some(PullRequestStatusEnum::Closed),
            None,
            1
        )
        .await,
        ["5"]
    );
    assert_eq!(
        list_all(
            &w.client,
            REPO,
            Some(PullRequestStatusEnum::Open),
            None,
            100
        )
        .await,
        ["1", "2", "7", "6", "4", "3"]
    );
    assert_eq!(
        list_all(&w.client, REPO, None, Some(&bob_arn), 1).await,
        ["2", "6", "4"]
    );
    assert_eq!(
        list_all(
            &w.client,
            REPO,
            Some(PullRequestStatusEnum::Open),
            Some(&bob_arn),
            2
        )
        .await,
        ["2", "6", "4"]
    );
    // An ARN of this account that never made a pull request matches nothing.
    assert!(
        list_all(&w.client, REPO, None, Some(&user_arn("nobody")), 10)
            .await
            .is_empty()
    );
    // Without maxResults: everything on one page, no token.
    let out = w
        .client
        .list_pull_requests()
        .repository_name(REPO)
        .send()
        .await
        .unwrap();
    assert_eq!(out.pull_request_ids().len(), 7);
    assert_eq!(out.next_token(), None);

    // Tokens are bound to the listing they came from.
    let page = w
        .client
        .list_pull_requests()
        .repository_name(REPO)
        .max_results(2)
        .send()
        .await
        .unwrap();
    let token = page.next_token().unwrap().to_owned();
    assert_err!(
        w.client
            .list_pull_requests()
            .repository_name(REPO)
            .pull_request_status(PullRequestStatusEnum::Open)
            .next_token(&token)
            .send()
            .await,
        "InvalidContinuationTokenException"
    );
    let list = |f: &dyn Fn(
        aws_sdk_codecommit::operation::list_pull_requests::builders::ListPullRequestsFluentBuilder,
    ) -> aws_sdk_codecommit::operation::list_pull_requests::builders::ListPullRequestsFluentBuilder| {
        f(w.client.list_pull_requests().repository_name(REPO)).send()
    };
    assert_err!(
        list(&|b| b.next_token("garbage!")).await,
        "InvalidContinuationTokenException"
    );
    assert_err!(
        list(&|b| b.max_results(0)).await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        list(&|b| b.max_results(-3)).await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        list(&|b| b.max_results(1001)).await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        list(&|b| b.author_arn("bob")).await,
        "InvalidAuthorArnException"
    );
    assert_err!(
        list(&|b| b.author_arn("arn:aws:iam::111122223333:user/bob")).await,
        "AuthorDoesNotExistException"
    );
    assert_err!(
        list(&|b| b.pull_request_status(PullRequestStatusEnum::from("MERGED"))).await,
        "InvalidPullRequestStatusException"
    );
    assert_err!(
        w.client
            .list_pull_requests()
            .repository_name("missing")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
    assert_err!(
        w.client.list_pull_requests().send().await,
        "RepositoryNameRequiredException"
    );
    assert_err!(
        w.client
            .list_pull_requests()
            .repository_name("bad/name")
            .send()
            .await,
        "InvalidRepositoryNameException"
    );
}

#[tokio::test]
async fn events_filter_by_type_and_actor_and_page() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "0\n");
    let pr = w.create("feature", None).await;
    let pid = id(&pr);
    for i in 1..=4 {
        w.commit("feature", "f.txt", &format!("{i}\n"));
    }
    let (bob, bob_arn) = w
        .server
        .assume_role("arn:aws:iam::000000000000:role/Dev", "bob")
        .await;
    bob.update_pull_request_status()
        .pull_request_id(&pid)
        .pull_request_status(PullRequestStatusEnum::Closed)
        .send()
        .await
        .unwrap();
    let all = w.events(&pid).await;
    assert_eq!(all.len(), 6);
    // Chronological.
    let dates: Vec<f64> = all.iter().map(|e| secs(e.event_date())).collect();
    assert!(dates.windows(2).all(|d| d[0] <= d[1]));
    // Page by page, one at a time, to the end: the same events.
    let mut paged = Vec::new();
    let mut token = None;
    loop {
        let out = w
            .client
            .describe_pull_request_events()
            .pull_request_id(&pid)
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        assert_eq!(out.pull_request_events().len(), 1);
        paged.extend(out.pull_request_events().iter().cloned());
        match out.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(paged, all);
    let updates = all_events(
        &w.client,
        &pid,
        Some(PullRequestEventType::PullRequestSourceReferenceUpdated),
        None,
    )
    .await;
    assert_eq!(updates.len(), 4);
    // Each revision starts where the previous one ended.
    for pair in updates.windows(2) {
        let a = pair[0]
            .pull_request_source_reference_updated_event_metadata()
            .unwrap();
        let b = pair[1]
            .pull_request_source_reference_updated_event_metadata()
            .unwrap();
        assert_eq!(a.after_commit_id(), b.before_commit_id());
    }
    let by_bob = all_events(&w.client, &pid, None, Some(&bob_arn)).await;
    assert_eq!(
        types(&by_bob),
        [PullRequestEventType::PullRequestStatusChanged]
    );
    assert!(
        all_events(
            &w.client,
            &pid,
            Some(PullRequestEventType::PullRequestApprovalRuleCreated),
            None
        )
        .await
        .is_empty()
    );

    let describe = |f: &dyn Fn(
        aws_sdk_codecommit::operation::describe_pull_request_events::builders::DescribePullRequestEventsFluentBuilder,
    ) -> aws_sdk_codecommit::operation::describe_pull_request_events::builders::DescribePullRequestEventsFluentBuilder| {
        f(w.client.describe_pull_request_events().pull_request_id(&pid)).send()
    };
    // Default and maximum page: 100.
    assert_err!(
        describe(&|b| b.max_results(101)).await,
        "InvalidMaxResultsException"
    );
    assert_err!(
        describe(&|b| b.max_results(0)).await,
        "InvalidMaxResultsException"
    );
    describe(&|b| b.max_results(100)).await.unwrap();
    assert_err!(
        describe(&|b| b.pull_request_event_type(PullRequestEventType::from("PULL_REQUEST_MERGED")))
            .await,
        "InvalidPullRequestEventTypeException"
    );
    assert_err!(
        describe(&|b| b.actor_arn("bob")).await,
        "InvalidActorArnException"
    );
    assert_err!(
        describe(&|b| b.actor_arn("arn:aws:sts::111122223333:assumed-role/Dev/bob")).await,
        "ActorDoesNotExistException"
    );
    assert_err!(
        describe(&|b| b.next_token("nope")).await,
        "InvalidContinuationTokenException"
    );
    assert_err!(
        w.client
            .describe_pull_request_events()
            .pull_request_id("31")
            .send()
            .await,
        "PullRequestDoesNotExistException"
    );
    assert_err!(
        w.client
            .describe_pull_request_events()
            .pull_request_id("3a")
            .send()
            .await,
        "InvalidPullRequestIdException"
    );
    assert_err!(
        w.client.describe_pull_request_events().send().await,
        "PullRequestIdRequiredException"
    );
}

#[tokio::test]
async fn accounts_and_regions_see_only_their_own_pull_requests() {
    let w = world().await;
    w.branch("feature", "main", "f.txt", "f\n");
    let mine = w.create("feature", None).await;
    let g = crate::common::git::Git::new();
    let mut others = Vec::new();
    for (account, region) in [
        ("111122223333", DEFAULT_REGION),
        (DEFAULT_ACCOUNT, "eu-west-1"),
    ] {
        let client = w.server.client_in(account, region);
        create_repo(&client, REPO).await;
        let url = format!("{}/{account}/{region}/v1/repos/{REPO}", w.server.base_url);
        let dir = g.push_new(&url, &format!("w-{account}-{region}"), &[&[("x", "x")]]);
        g.ok(&dir, &["checkout", "-q", "-b", "topic"]);
        g.commit_file(&dir, "y", "y", "y");
        g.ok(&dir, &["push", "-q", "origin", "topic"]);
        let pr = create_with(&client, REPO, "topic", None, account).await;
        // Each scope counts its own ids.
        assert_eq!(pr.pull_request_id(), Some("1"));
        others.push((client, pr));
    }
    assert_eq!(w.get("1").await, mine);
    for (client, pr) in &others {
        assert_eq!(&get(client, "1").await, pr);
        assert_ne!(pr, &mine);
        let listed = client
            .list_pull_requests()
            .repository_name(REPO)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.pull_request_ids(), ["1"]);
        // A pull request of another scope cannot be merged from this one.
        assert_err!(
            client.get_pull_request().pull_request_id("2").send().await,
            "PullRequestDoesNotExistException"
        );
    }
    w.branch("second", "main", "s.txt", "s\n");
    assert_eq!(w.create("second", None).await.pull_request_id(), Some("2"));
    assert_err!(
        others[0]
            .0
            .get_pull_request()
            .pull_request_id("2")
            .send()
            .await,
        "PullRequestDoesNotExistException"
    );
}
