//! Deliveries that need no AWS stack: Lambda Invoke to a recording endpoint (checked down to
//! its SigV4 signature), the signed webhook, and `GET /_events` when nothing is configured.

use super::*;
use crate::common::recorder::{Answer, Proxy, Recorded, Recorder, hmac_hex, verify_sigv4};
use aws_sdk_codecommit::primitives::Blob;
use aws_sdk_codecommit::types::RepositoryTriggerEventEnum as Ev;
use codecommit_local::config::Webhook;
use serde_json::{Value, json};

async fn first_commit(client: &Client, repo: &str) -> String {
    client
        .put_file()
        .repository_name(repo)
        .branch_name("main")
        .file_path("a.txt")
        .file_content(Blob::new("x"))
        .send()
        .await
        .unwrap()
        .commit_id
}

#[tokio::test]
async fn lambda_triggers_invoke_asynchronously_with_a_signed_call() {
    let lambda = Recorder::start(202);
    let server = TestServer::start_with(|c| {
        c.delivery = DeliveryConfig {
            lambda_endpoint: Some(lambda.url()),
            access_key_id: "AKIDLOCAL".into(),
            secret_access_key: "local-secret".into(),
            ..quick_delivery("unused")
        };
        c.delivery.sns_endpoint = None;
        c.delivery.eventbridge_endpoint = None;
    });
    let client = server.client();
    let name = unique("lambda");
    create_repo(&client, &name).await;
    let function = "arn:aws:lambda:us-east-1:000000000000:function:build";
    let config_id = put_triggers(
        &client,
        &name,
        vec![trigger(
            "build",
            function,
            &["main"],
            &[Ev::CreateReference],
        )],
    )
    .await;
    let commit = first_commit(&client, &name).await;

    let calls = lambda.wait_for(1, DELIVERY_WAIT);
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.method, "POST");
    assert_eq!(
        call.path,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Abuild/invocations"
    );
    assert_eq!(call.header("x-amz-invocation-type"), Some("Event"));
    verify_sigv4(call, "AKIDLOCAL", "local-secret", "us-east-1", "lambda");
    let record = normalize_record(call.json());
    assert_eq!(
        record,
        json!({"Records": [{
            "awsRegion": "us-east-1",
            "codecommit": {"references": [{"commit": commit, "created": true, "ref": "refs/heads/main"}]},
            "eventId": "ID",
            "eventName": "ReferenceChanges",
            "eventPartNumber": 1,
            "eventSource": "aws:codecommit",
            "eventSourceARN": format!("arn:aws:codecommit:us-east-1:000000000000:{name}"),
            "eventTime": "TIME",
            "eventTotalParts": 1,
            "eventTriggerConfigId": config_id,
            "eventTriggerName": "build",
            "eventVersion": "1.0",
            "userIdentityARN": "arn:aws:iam::000000000000:root",
        }]})
    );
    let listed = wait_settled(&server, &name);
    let by_target = |t: &str| events_to(&listed, t);
    assert_eq!(by_target("lambda")[0]["status"], "delivered");
    assert_eq!(by_target("lambda")[0]["destination"], function);
    // No EventBridge endpoint: recorded, not delivered.
    let bus = by_target("eventbridge");
    assert_eq!(bus[0]["status"], "undeliverable");
    assert_eq!(bus[0]["payload"]["detail"]["event"], "referenceCreated");
}

#[tokio::test]
async fn the_webhook_gets_each_bus_event_signed() {
    let hook = Recorder::start(200);
    let server = TestServer::start_with(|c| {
        c.delivery = DeliveryConfig {
            webhook: Some(Webhook {
                url: format!("{}/hooks/codecommit", hook.url()),
                secret: Some("s3cret".into()),
            }),
            ..DeliveryConfig::default()
        };
    });
    let client = server.client();
    let name = unique("hook");
    create_repo(&client, &name).await;
    let commit = first_commit(&client, &name).await;
    client
        .create_branch()
        .repository_name(&name)
        .branch_name("dev")
        .commit_id(&commit)
        .send()
        .await
        .unwrap();

    let posts = hook.wait_for(2, DELIVERY_WAIT);
    assert_eq!(posts.len(), 2);
    for (post, branch) in posts.iter().zip(["main", "dev"]) {
        assert_eq!(post.method, "POST");
        assert_eq!(post.path, "/hooks/codecommit");
        assert_eq!(post.header("content-type"), Some("application/json"));
        assert_eq!(
            post.header("x-codecommit-local-signature-256"),
            Some(format!("sha256={}", hmac_hex(b"s3cret", &post.body)).as_str())
        );
        assert_eq!(
            post.header("x-codecommit-local-event"),
            Some("referenceCreated")
        );
        let event = post.json();
        assert_eq!(
            post.header("x-codecommit-local-delivery"),
            event["id"].as_str()
        );
        assert_eq!(event["version"], "0");
        assert_eq!(event["source"], "aws.codecommit");
        assert_eq!(event["detail-type"], "CodeCommit Repository State Change");
        assert_eq!(event["account"], DEFAULT_ACCOUNT);
        assert_eq!(event["region"], DEFAULT_REGION);
        let time = event["time"].as_str().unwrap();
        assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
        assert_eq!(event["detail"]["referenceName"], branch);
        assert_eq!(event["detail"]["commitId"], commit.as_str());
    }
}

#[tokio::test]
async fn without_endpoints_events_are_recorded_and_listed() {
    let server = TestServer::start();
    let client = server.client();
    let name = unique("rec");
    create_repo(&client, &name).await;
    let topic = "arn:aws:sns:us-east-1:000000000000:nowhere";
    put_triggers(&client, &name, vec![trigger("t", topic, &[], &[Ev::All])]).await;
    let commit = first_commit(&client, &name).await;

    let listed = list_events(&server, &format!("repository={name}"));
    let events = listed["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{listed}");
    let record = &events[0];
    assert_eq!(record["format"], "trigger");
    assert_eq!(record["target"], "sns");
    assert_eq!(record["destination"], topic);
    assert_eq!(record["event"], "ReferenceChanges");
    assert_eq!(record["status"], "undeliverable");
    assert!(
        record["lastError"]
            .as_str()
            .unwrap()
            .contains("--aws-endpoint-url")
    );
    assert_eq!(
        record["payload"]["Records"][0]["codecommit"]["references"][0]["commit"],
        commit.as_str()
    );
    assert_eq!(events[1]["format"], "eventbridge");
    assert_eq!(events[1]["payload"]["detail"]["event"], "referenceCreated");
    assert_eq!(listed["pending"], 0);

    // A renamed repository keeps its triggers; its events carry the new name.
    let renamed = unique("renamed");
    client
        .update_repository_name()
        .old_name(&name)
        .new_name(&renamed)
        .send()
        .await
        .unwrap();
    client
        .create_branch()
        .repository_name(&renamed)
        .branch_name("dev")
        .commit_id(&commit)
        .send()
        .await
        .unwrap();
    let listed = list_events(&server, &format!("repository={renamed}&target=sns"));
    let events = listed["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{listed}");
    assert_eq!(
        events[0]["payload"]["Records"][0]["eventSourceARN"],
        format!("arn:aws:codecommit:us-east-1:000000000000:{renamed}")
    );
    // Filters: another account sees nothing of this one.
    let other = list_events(
        &server,
        &format!("repository={renamed}&account=111122223333"),
    );
    assert_eq!(other["events"], json!([]));
}

#[tokio::test]
async fn without_an_endpoint_test_repository_triggers_reports_failures() {
    let server = TestServer::start();
    let client = server.client();
    let name = unique("test-none");
    create_repo(&client, &name).await;
    let out = client
        .test_repository_triggers()
        .repository_name(&name)
        .triggers(trigger(
            "t",
            "arn:aws:sns:us-east-1:000000000000:topic",
            &[],
            &[Ev::All],
        ))
        .send()
        .await
        .unwrap();
    assert!(out.successful_executions().is_empty());
    assert_eq!(out.failed_executions()[0].trigger(), Some("t"));
    assert!(
        out.failed_executions()[0]
            .failure_message()
            .unwrap()
            .contains("No AWS endpoint")
    );
}

const SNS_XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

fn sns_publish_ok() -> Answer {
    (
        200,
        "text/xml",
        format!(
            "<PublishResponse xmlns=\"{SNS_XMLNS}\"><PublishResult><MessageId>m</MessageId>\
             </PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
             </PublishResponse>"
        ),
    )
}

/// The entries of a recorded PublishBatch call: (id, subject, message), in order.
fn batch_entries(call: &Recorded) -> Vec<(String, String, String)> {
    (1..)
        .map_while(|i| {
            let member =
                |f: &str| call.form_value(&format!("PublishBatchRequestEntries.member.{i}.{f}"));
            Some((member("Id")?, member("Subject")?, member("Message")?))
        })
        .collect()
}

/// The commit of a trigger record's only reference.
fn record_commit(message: &str) -> String {
    let record: Value = serde_json::from_str(message).unwrap();
    record["Records"][0]["codecommit"]["references"][0]["commit"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A server whose SNS endpoint (`sns`, behind a proxy that starts black-holed) has three
/// trigger records queued for one topic: three writes to the repository while nothing could
/// be delivered. Returns the server, the proxy, the repository and the three commits.
async fn sns_backlog(sns: &Recorder) -> (TestServer, Proxy, String, Vec<String>) {
    let proxy = Proxy::start(sns.addr, true);
    let server = TestServer::start_with(|c| {
        c.delivery = DeliveryConfig {
            timeout: Duration::from_secs(1),
            ..quick_delivery(&proxy.url())
        };
        c.delivery.lambda_endpoint = None;
        c.delivery.eventbridge_endpoint = None;
    });
    let client = server.client();
    let name = unique("batch");
    create_repo(&client, &name).await;
    let topic = "arn:aws:sns:us-east-1:000000000000:pushes";
    put_triggers(&client, &name, vec![trigger("t", topic, &[], &[Ev::All])]).await;
    let mut commits = Vec::new();
    for i in 0..3 {
        let put = client
            .put_file()
            .repository_name(&name)
            .branch_name("main")
            .file_path(format!("f{i}.txt"))
            .file_content(Blob::new(format!("{i}")))
            .set_parent_commit_id(commits.last().cloned())
            .send()
            .await
            .unwrap();
        commits.push(put.commit_id);
    }
    let listed = list_events(&server, &format!("repository={name}&target=sns"));
    let events = listed["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{listed}");
    assert!(events.iter().all(|e| e["status"] == "pending"), "{listed}");
    (server, proxy, name, commits)
}

#[tokio::test]
async fn queued_trigger_records_for_one_topic_go_in_one_publish_batch() {
    // Every entry published but the second, which the endpoint refuses (a sender fault).
    let sns = Recorder::answering(|call| match call.form_value("Action").as_deref() {
        Some("PublishBatch") => {
            let (mut ok, mut failed) = (String::new(), String::new());
            for (id, _, _) in batch_entries(call) {
                if id == "1" {
                    failed.push_str(&format!(
                        "<member><Id>{id}</Id><Code>InvalidParameter</Code>\
                         <Message>Invalid parameter: Message</Message>\
                         <SenderFault>true</SenderFault></member>"
                    ));
                } else {
                    ok.push_str(&format!(
                        "<member><Id>{id}</Id><MessageId>m{id}</MessageId></member>"
                    ));
                }
            }
            (
                200,
                "text/xml",
                format!(
                    "<PublishBatchResponse xmlns=\"{SNS_XMLNS}\"><PublishBatchResult>\
                     <Successful>{ok}</Successful><Failed>{failed}</Failed>\
                     </PublishBatchResult><ResponseMetadata><RequestId>r</RequestId>\
                     </ResponseMetadata></PublishBatchResponse>"
                ),
            )
        }
        _ => sns_publish_ok(),
    });
    let (server, proxy, name, commits) = sns_backlog(&sns).await;
    proxy.set_black_hole(false);
    let calls = sns.wait_for(2, DELIVERY_WAIT);
    assert_eq!(calls.len(), 2);
    let batch = &calls[0];
    assert_eq!(batch.form_value("Action").as_deref(), Some("PublishBatch"));
    assert_eq!(
        batch.form_value("TopicArn").as_deref(),
        Some("arn:aws:sns:us-east-1:000000000000:pushes")
    );
    let entries = batch_entries(batch);
    assert_eq!(entries.len(), 3);
    for (i, (id, subject, message)) in entries.iter().enumerate() {
        assert_eq!(id, &i.to_string());
        assert_eq!(
            subject,
            &format!("UPDATE: AWS CodeCommit us-east-1 push: {name}")
        );
        assert_eq!(record_commit(message), commits[i]);
    }
    // The first entry was published; the second was refused and given up (not worth a
    // retry); the third was not counted as delivered after it, and went again on its own.
    let single = &calls[1];
    assert_eq!(single.form_value("Action").as_deref(), Some("Publish"));
    assert_eq!(
        record_commit(&single.form_value("Message").unwrap()),
        commits[2]
    );
    let listed = wait_settled(&server, &name);
    let sns_events = events_to(&listed, "sns");
    let statuses: Vec<&str> = sns_events
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["delivered", "failed", "delivered"], "{listed}");
    assert_eq!(
        sns_events[1]["lastError"],
        "InvalidParameter: Invalid parameter: Message"
    );
    assert_eq!(
        sns.wait_for(0, Duration::ZERO).len(),
        2,
        "nothing more was sent"
    );
}

#[tokio::test]
async fn an_sns_endpoint_without_publish_batch_gets_one_publish_per_record() {
    let sns = Recorder::answering(|call| match call.form_value("Action").as_deref() {
        Some("PublishBatch") => (
            400,
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"{SNS_XMLNS}\"><Error><Type>Sender</Type>\
                 <Code>InvalidAction</Code><Message>The action PublishBatch is not valid for \
                 this web service.</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            ),
        ),
        _ => sns_publish_ok(),
    });
    let (server, proxy, name, commits) = sns_backlog(&sns).await;
    proxy.set_black_hole(false);
    let calls = sns.wait_for(4, DELIVERY_WAIT);
    let actions: Vec<String> = calls
        .iter()
        .map(|c| c.form_value("Action").unwrap())
        .collect();
    // Refused once; from then on, Publish only (the two records still queued after the
    // first are not tried as a batch again).
    assert_eq!(actions, ["PublishBatch", "Publish", "Publish", "Publish"]);
    let published: Vec<String> = calls[1..]
        .iter()
        .map(|c| record_commit(&c.form_value("Message").unwrap()))
        .collect();
    assert_eq!(published, commits);
    let listed = wait_settled(&server, &name);
    assert!(
        events_to(&listed, "sns")
            .iter()
            .all(|e| e["status"] == "delivered"),
        "{listed}"
    );
}

#[tokio::test]
async fn a_refused_publish_batch_is_told_apart_by_its_first_record() {
    // The topic is missing until the first record has been refused (as SNS does, HTTP 404).
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let sns = Recorder::answering(move |call| {
        let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let not_found = (
            404,
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"{SNS_XMLNS}\"><Error><Type>Sender</Type>\
                 <Code>NotFound</Code><Message>Topic does not exist</Message></Error>\
                 <RequestId>r</RequestId></ErrorResponse>"
            ),
        );
        match (n, call.form_value("Action").as_deref()) {
            (0 | 1, _) => not_found,
            (_, Some("PublishBatch")) => {
                let ok: String = batch_entries(call)
                    .iter()
                    .map(|(id, _, _)| {
                        format!("<member><Id>{id}</Id><MessageId>m{id}</MessageId></member>")
                    })
                    .collect();
                (
                    200,
                    "text/xml",
                    format!(
                        "<PublishBatchResponse xmlns=\"{SNS_XMLNS}\"><PublishBatchResult>\
                         <Successful>{ok}</Successful><Failed/></PublishBatchResult>\
                         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
                         </PublishBatchResponse>"
                    ),
                )
            }
            _ => sns_publish_ok(),
        }
    });
    let (server, proxy, name, commits) = sns_backlog(&sns).await;
    proxy.set_black_hole(false);
    let listed = wait_settled(&server, &name);
    let recorded = sns.wait_for(0, Duration::ZERO);
    let actions: Vec<String> = recorded
        .iter()
        .map(|c| c.form_value("Action").unwrap())
        .collect();
    // The whole batch refused: its first record alone, refused too (given up, not retried);
    // the two after it in a batch again (a missing topic says nothing about PublishBatch).
    assert_eq!(actions, ["PublishBatch", "Publish", "PublishBatch"]);
    assert_eq!(
        record_commit(&recorded[1].form_value("Message").unwrap()),
        commits[0]
    );
    let last: Vec<String> = batch_entries(&recorded[2])
        .iter()
        .map(|(_, _, m)| record_commit(m))
        .collect();
    assert_eq!(last, commits[1..]);
    let statuses: Vec<&str> = events_to(&listed, "sns")
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["failed", "delivered", "delivered"], "{listed}");
}
