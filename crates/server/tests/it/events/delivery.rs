//! Delivery to a real moto server: trigger records through SNS (read back from an SQS queue
//! subscribed to the topic) and EventBridge events (read back from the SQS target of a rule),
//! for pushes, API writes, branch operations and merges; a black-holed endpoint.

use super::*;
use crate::common::git::Git;
use crate::common::moto::{MOTO_ACCOUNT, moto};
use crate::common::recorder::Proxy;
use aws_sdk_codecommit::types::{MergeOptionTypeEnum, RepositoryTriggerEventEnum as Ev};
use serde_json::{Value, json};

const ROOT: &str = "arn:aws:iam::000000000000:root";

fn subject(repo: &str) -> String {
    format!("UPDATE: AWS CodeCommit us-east-1 push: {repo}")
}

fn repo_arn(repo: &str) -> String {
    format!("arn:aws:codecommit:us-east-1:{MOTO_ACCOUNT}:{repo}")
}

/// The record AWS sends, with the run-dependent id and time blanked (see `normalize_record`).
fn expected_record(
    repo: &str,
    config_id: &str,
    trigger: &str,
    custom_data: Option<&str>,
    user: &str,
    mut references: Vec<Value>,
) -> Value {
    references.sort_by(|a, b| a["ref"].as_str().cmp(&b["ref"].as_str()));
    let mut r = json!({
        "awsRegion": "us-east-1",
        "codecommit": {"references": references},
        "eventId": "ID",
        "eventName": "ReferenceChanges",
        "eventPartNumber": 1,
        "eventSource": "aws:codecommit",
        "eventSourceARN": repo_arn(repo),
        "eventTime": "TIME",
        "eventTotalParts": 1,
        "eventTriggerConfigId": config_id,
        "eventTriggerName": trigger,
        "eventVersion": "1.0",
        "userIdentityARN": user,
    });
    if let Some(c) = custom_data {
        r["customData"] = c.into();
    }
    json!({ "Records": [r] })
}

/// A received record with its references in ref-name order (the order of a push's refs is
/// git's), ids and times checked and blanked.
fn received(record: Value) -> Value {
    let mut r = normalize_record(record);
    if let Some(refs) = r["Records"][0]["codecommit"]["references"].as_array_mut() {
        refs.sort_by(|a, b| a["ref"].as_str().cmp(&b["ref"].as_str()));
    }
    r
}

#[tokio::test]
async fn a_push_of_several_refs_reaches_sns_as_aws_sends_it() {
    let moto = moto();
    let server = moto_server();
    let client = server.client();
    let name = unique("push-trig");
    create_repo(&client, &name).await;
    let (topic_all, q_all) = moto.topic_with_queue(DEFAULT_REGION, &unique("all")).await;
    let (topic_main, q_main) = moto.topic_with_queue(DEFAULT_REGION, &unique("main")).await;
    let everything = RepositoryTrigger::builder()
        .name("everything")
        .destination_arn(&topic_all)
        .set_branches(Some(vec![]))
        .events(Ev::All)
        .custom_data("Project ID 12345")
        .build()
        .unwrap();
    let config_id = put_triggers(
        &client,
        &name,
        vec![
            everything,
            trigger(
                "main-updates",
                &topic_main,
                &["main"],
                &[Ev::UpdateReference],
            ),
        ],
    )
    .await;

    // One push creates a branch, another branch and a tag.
    let git = Git::new();
    let dir = git.init_with_commits("w", &[&[("a.txt", "1")]]);
    let first = git.ok(&dir, &["rev-parse", "HEAD"]);
    git.ok(&dir, &["branch", "feature"]);
    git.ok(&dir, &["tag", "v1"]);
    git.ok(&dir, &["remote", "add", "origin", &server.clone_url(&name)]);
    git.ok(&dir, &["push", "-q", "origin", "main", "feature", "v1"]);
    // The next updates main and deletes the branch.
    let second = git.commit_file(&dir, "a.txt", "2", "second");
    git.ok(&dir, &["push", "-q", "origin", "main", ":feature"]);

    let all = moto.receive(DEFAULT_REGION, &q_all, 2, DELIVERY_WAIT).await;
    let records: Vec<Value> = sns_records(&all, &topic_all, &subject(&name))
        .into_iter()
        .map(received)
        .collect();
    let everything = |refs| {
        expected_record(
            &name,
            &config_id,
            "everything",
            Some("Project ID 12345"),
            ROOT,
            refs,
        )
    };
    assert_eq!(
        records,
        vec![
            everything(vec![
                json!({"commit": first, "created": true, "ref": "refs/heads/main"}),
                json!({"commit": first, "created": true, "ref": "refs/heads/feature"}),
                json!({"commit": first, "created": true, "ref": "refs/tags/v1"}),
            ]),
            everything(vec![
                json!({"commit": second, "ref": "refs/heads/main"}),
                json!({"commit": first, "deleted": true, "ref": "refs/heads/feature"}),
            ]),
        ]
    );
    // The main-only, updates-only trigger saw just the second push's update of main.
    let main = moto
        .receive(DEFAULT_REGION, &q_main, 1, DELIVERY_WAIT)
        .await;
    let records: Vec<Value> = sns_records(&main, &topic_main, &subject(&name))
        .into_iter()
        .map(received)
        .collect();
    assert_eq!(
        records,
        vec![expected_record(
            &name,
            &config_id,
            "main-updates",
            None,
            ROOT,
            vec![json!({"commit": second, "ref": "refs/heads/main"})],
        )]
    );
    // Nothing else is on its way, and nothing else arrived.
    let listed = wait_settled(&server, &name);
    let sns_rows = events_to(&listed, "sns");
    assert_eq!(sns_rows.len(), 3);
    assert!(
        sns_rows.iter().all(|e| e["status"] == "delivered"),
        "{listed}"
    );
    assert!(
        moto.receive(DEFAULT_REGION, &q_main, 1, Duration::from_millis(1500))
            .await
            .is_empty()
    );
}

/// The `detail` of the EventBridge events that reached a rule's queue, checking the envelope.
fn bus_details(bodies: &[String], repo: &str) -> Vec<Value> {
    bodies
        .iter()
        .map(|b| {
            let e: Value = serde_json::from_str(b).unwrap();
            assert_eq!(e["source"], "aws.codecommit", "{e}");
            assert_eq!(e["detail-type"], "CodeCommit Repository State Change");
            // (moto leaves `account` out of what its SQS targets get.)
            assert_eq!(e["region"], "us-east-1");
            assert_eq!(e["resources"], json!([repo_arn(repo)]));
            e["detail"].clone()
        })
        .collect()
}

#[tokio::test]
async fn api_writes_branches_and_merges_reach_sns_and_eventbridge() {
    let moto = moto();
    let server = moto_server();
    let admin = server.client();
    let name = unique("api-trig");
    let md = create_repo(&admin, &name).await;
    let repo_id = md.repository_id().unwrap().to_owned();
    let (topic, q_sns) = moto.topic_with_queue(DEFAULT_REGION, &unique("api")).await;
    let q_bus = moto
        .rule_to_queue(DEFAULT_REGION, &unique("rule"), &name)
        .await;
    let config_id =
        put_triggers(&admin, &name, vec![trigger("all", &topic, &[], &[Ev::All])]).await;
    let (client, alice) = server
        .assume_role("arn:aws:iam::000000000000:role/Dev", "alice")
        .await;

    let put = |branch: &str, path: &str, parent: Option<String>| {
        client
            .put_file()
            .repository_name(&name)
            .branch_name(branch)
            .file_path(path)
            .file_content(aws_sdk_codecommit::primitives::Blob::new(path.as_bytes()))
            .set_parent_commit_id(parent)
            .send()
    };
    let c1 = put("main", "a.txt", None).await.unwrap().commit_id;
    client
        .create_branch()
        .repository_name(&name)
        .branch_name("dev")
        .commit_id(&c1)
        .send()
        .await
        .unwrap();
    let c2 = put("dev", "b.txt", Some(c1.clone()))
        .await
        .unwrap()
        .commit_id;
    let c3 = put("main", "c.txt", Some(c1.clone()))
        .await
        .unwrap()
        .commit_id;
    let unreferenced = client
        .create_unreferenced_merge_commit()
        .repository_name(&name)
        .source_commit_specifier("dev")
        .destination_commit_specifier("main")
        .merge_option(MergeOptionTypeEnum::SquashMerge)
        .send()
        .await
        .unwrap()
        .commit_id
        .unwrap();
    let merged = client
        .merge_branches_by_three_way()
        .repository_name(&name)
        .source_commit_specifier("dev")
        .destination_commit_specifier("main")
        .target_branch("main")
        .send()
        .await
        .unwrap()
        .commit_id
        .unwrap();
    client
        .delete_branch()
        .repository_name(&name)
        .branch_name("dev")
        .send()
        .await
        .unwrap();

    // SNS: one record per API ref move, by the caller.
    let bodies = moto.receive(DEFAULT_REGION, &q_sns, 6, DELIVERY_WAIT).await;
    let records: Vec<Value> = sns_records(&bodies, &topic, &subject(&name))
        .into_iter()
        .map(received)
        .collect();
    let rec =
        |reference: Value| expected_record(&name, &config_id, "all", None, &alice, vec![reference]);
    assert_eq!(
        records,
        vec![
            rec(json!({"commit": c1, "created": true, "ref": "refs/heads/main"})),
            rec(json!({"commit": c1, "created": true, "ref": "refs/heads/dev"})),
            rec(json!({"commit": c2, "ref": "refs/heads/dev"})),
            rec(json!({"commit": c3, "ref": "refs/heads/main"})),
            rec(json!({"commit": merged, "ref": "refs/heads/main"})),
            rec(json!({"commit": c2, "deleted": true, "ref": "refs/heads/dev"})),
        ]
    );

    // EventBridge: one Repository State Change per ref, the merge with its merge fields, and
    // the unreferenced merge commit.
    let bodies = moto.receive(DEFAULT_REGION, &q_bus, 7, DELIVERY_WAIT).await;
    let details = bus_details(&bodies, &name);
    let reference = |event: &str, branch: &str, commit: Option<&str>, old: Option<&str>| {
        let mut d = json!({
            "event": event,
            "repositoryName": name,
            "repositoryId": repo_id,
            "referenceType": "branch",
            "referenceName": branch,
            "referenceFullName": format!("refs/heads/{branch}"),
            "callerUserArn": alice,
        });
        if let Some(c) = commit {
            d["commitId"] = c.into();
        }
        if let Some(o) = old {
            d["oldCommitId"] = o.into();
        }
        d
    };
    let mut merge = reference("referenceUpdated", "main", Some(&merged), Some(&c3));
    for (k, v) in [
        ("baseCommitId", c1.as_str()),
        ("sourceCommitId", c2.as_str()),
        ("destinationCommitId", c3.as_str()),
        ("mergeOption", "THREE_WAY_MERGE"),
        ("conflictDetailsLevel", "FILE_LEVEL"),
        ("conflictResolutionStrategy", "NONE"),
    ] {
        merge[k] = v.into();
    }
    let unreferenced_event = json!({
        "event": "unreferencedMergeCommitCreated",
        "repositoryName": name,
        "repositoryId": repo_id,
        "commitId": unreferenced,
        "callerUserArn": alice,
        "baseCommitId": c1,
        "sourceCommitId": c2,
        "destinationCommitId": c3,
        "mergeOption": "SQUASH_MERGE",
        "conflictDetailsLevel": "FILE_LEVEL",
        "conflictResolutionStrategy": "NONE",
    });
    assert_eq!(
        details,
        vec![
            reference("referenceCreated", "main", Some(&c1), None),
            reference("referenceCreated", "dev", Some(&c1), None),
            reference("referenceUpdated", "dev", Some(&c2), Some(&c1)),
            reference("referenceUpdated", "main", Some(&c3), Some(&c1)),
            unreferenced_event,
            merge,
            reference("referenceDeleted", "dev", None, Some(&c2)),
        ]
    );
}

#[tokio::test]
async fn test_repository_triggers_sends_a_real_test_record() {
    let moto = moto();
    let server = moto_server();
    let client = server.client();
    let name = unique("test-trig");
    create_repo(&client, &name).await;
    let tip = client
        .put_file()
        .repository_name(&name)
        .branch_name("main")
        .file_path("a.txt")
        .file_content(aws_sdk_codecommit::primitives::Blob::new("x"))
        .send()
        .await
        .unwrap()
        .commit_id;
    let (topic, queue) = moto.topic_with_queue(DEFAULT_REGION, &unique("t")).await;
    let missing = format!("arn:aws:sns:us-east-1:{MOTO_ACCOUNT}:{}", unique("missing"));
    let before = client
        .get_repository_triggers()
        .repository_name(&name)
        .send()
        .await
        .unwrap();
    let out = client
        .test_repository_triggers()
        .repository_name(&name)
        .triggers(trigger("works", &topic, &[], &[Ev::All]))
        .triggers(trigger("broken", &missing, &["main"], &[Ev::All]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.successful_executions(), ["works".to_owned()]);
    let failed = out.failed_executions();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].trigger(), Some("broken"));
    let message = failed[0].failure_message().unwrap();
    // What the endpoint said (AWS: "NotFound: Topic does not exist"; moto words it its way).
    assert!(message.starts_with("NotFound"), "{message}");

    let bodies = moto.receive(DEFAULT_REGION, &queue, 1, DELIVERY_WAIT).await;
    let record = received(sns_records(&bodies, &topic, &subject(&name)).remove(0));
    let mut expected = expected_record(
        &name,
        before.configuration_id().unwrap(),
        "works",
        None,
        ROOT,
        vec![json!({"commit": tip, "ref": "refs/heads/main"})],
    );
    expected["Records"][0]["eventName"] = "TriggerEventTest".into();
    assert_eq!(record, expected);
    // Nothing was stored.
    let after = client
        .get_repository_triggers()
        .repository_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(after.configuration_id(), before.configuration_id());
    assert!(after.triggers().is_empty());
    let listed = list_events(&server, &format!("repository={name}&target=sns"));
    assert_eq!(listed["events"], json!([]));
}

#[tokio::test]
async fn a_black_holed_endpoint_holds_no_write_and_gets_everything_once_back() {
    let moto = moto();
    let upstream: std::net::SocketAddr =
        moto.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(upstream, true);
    let server = TestServer::start_with(|c| {
        c.delivery = DeliveryConfig {
            timeout: Duration::from_secs(2),
            ..quick_delivery(&proxy.url())
        }
    });
    let client = server.client();
    let name = unique("dead");
    create_repo(&client, &name).await;
    let (topic, q_sns) = moto.topic_with_queue(DEFAULT_REGION, &unique("dead")).await;
    let q_bus = moto
        .rule_to_queue(DEFAULT_REGION, &unique("dead-rule"), &name)
        .await;
    let triggers = (0..10)
        .map(|i| trigger(&format!("t{i}"), &topic, &[], &[Ev::All]))
        .collect();
    put_triggers(&client, &name, triggers).await;

    // Writes complete while nothing can be delivered.
    let git = Git::new();
    let dir = git.push_new(&server.clone_url(&name), "w", &[&[("a.txt", "1")]]);
    let pushed = git.ok(&dir, &["rev-parse", "HEAD"]);
    let put = client
        .put_file()
        .repository_name(&name)
        .branch_name("main")
        .file_path("b.txt")
        .file_content(aws_sdk_codecommit::primitives::Blob::new("2"))
        .parent_commit_id(&pushed)
        .send()
        .await
        .unwrap()
        .commit_id;
    let listed = list_events(&server, &format!("repository={name}"));
    let events = listed["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        22,
        "10 trigger records and 1 bus event per write"
    );
    assert!(events.iter().all(|e| e["status"] == "pending"), "{listed}");

    proxy.set_black_hole(false);
    let bodies = moto
        .receive(DEFAULT_REGION, &q_sns, 20, DELIVERY_WAIT)
        .await;
    let records = sns_records(&bodies, &topic, &subject(&name));
    assert_eq!(records.len(), 20);
    // Each trigger got both records, in the order of the writes.
    for i in 0..10 {
        let name = format!("t{i}");
        let commits: Vec<&str> = records
            .iter()
            .filter(|r| r["Records"][0]["eventTriggerName"] == name.as_str())
            .map(|r| {
                r["Records"][0]["codecommit"]["references"][0]["commit"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(commits, [pushed.as_str(), put.as_str()], "{name}");
    }
    let bodies = moto.receive(DEFAULT_REGION, &q_bus, 2, DELIVERY_WAIT).await;
    let details = bus_details(&bodies, &name);
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["event"], "referenceCreated");
    assert_eq!(details[1]["commitId"], put.as_str());
    let listed = wait_settled(&server, &name);
    assert!(
        listed["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "delivered"),
        "{listed}"
    );
}
