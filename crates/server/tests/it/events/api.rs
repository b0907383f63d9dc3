//! PutRepositoryTriggers / GetRepositoryTriggers / TestRepositoryTriggers: configurations and
//! AWS's validation, by exception name.

use super::*;
use crate::assert_err;
use aws_sdk_codecommit::types::RepositoryTriggerEventEnum as Ev;
use serde_json::json;

const TOPIC: &str = "arn:aws:sns:us-east-1:000000000000:pushes";

#[tokio::test]
async fn put_replaces_the_set_and_get_returns_it() {
    let (server, client, _) = server_with("cfg").await;
    let initial = client
        .get_repository_triggers()
        .repository_name("cfg")
        .send()
        .await
        .unwrap();
    assert!(initial.triggers().is_empty());
    let initial_id = initial.configuration_id().unwrap().to_owned();
    assert_eq!(initial_id.len(), 36);

    let with_data = RepositoryTrigger::builder()
        .name("ci")
        .destination_arn(TOPIC)
        .custom_data("Project ID 12345")
        .branches("main")
        .branches("release/1.0")
        .events(Ev::UpdateReference)
        .events(Ev::CreateReference)
        .build()
        .unwrap();
    let lambda = trigger(
        "deploy",
        "arn:aws:lambda:us-east-1:000000000000:function:deploy:live",
        &[],
        &[Ev::All],
    );
    let id1 = put_triggers(&client, "cfg", vec![with_data.clone(), lambda.clone()]).await;
    assert_ne!(id1, initial_id);
    let got = client
        .get_repository_triggers()
        .repository_name("cfg")
        .send()
        .await
        .unwrap();
    assert_eq!(got.configuration_id(), Some(id1.as_str()));
    assert_eq!(got.triggers(), [with_data, lambda.clone()]);

    // The whole set is replaced, with a new configuration id.
    let id2 = put_triggers(&client, "cfg", vec![lambda.clone()]).await;
    assert_ne!(id2, id1);
    let got = client
        .get_repository_triggers()
        .repository_name("cfg")
        .send()
        .await
        .unwrap();
    assert_eq!(got.triggers(), [lambda]);
    // An empty list deletes them all.
    let id3 = put_triggers(&client, "cfg", vec![]).await;
    let got = client
        .get_repository_triggers()
        .repository_name("cfg")
        .send()
        .await
        .unwrap();
    assert!(got.triggers().is_empty());
    assert_eq!(got.configuration_id(), Some(id3.as_str()));

    // The raw answer has exactly AWS's members.
    let raw = http::api(
        server.addr,
        "CodeCommit_20150413.GetRepositoryTriggers",
        r#"{"repositoryName":"cfg"}"#,
    );
    assert_eq!(raw.json(), json!({"configurationId": id3, "triggers": []}));
}

#[tokio::test]
async fn triggers_survive_restarts_and_renames_and_go_with_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = trigger("ci", TOPIC, &[], &[Ev::All]);
    let id = {
        let server = TestServer::start_with(|c| c.data_dir = data.clone());
        let client = server.client();
        create_repo(&client, "keep").await;
        put_triggers(&client, "keep", vec![t.clone()]).await
    };
    let server = TestServer::start_with(|c| c.data_dir = data.clone());
    let client = server.client();
    client
        .update_repository_name()
        .old_name("keep")
        .new_name("kept")
        .send()
        .await
        .unwrap();
    let got = client
        .get_repository_triggers()
        .repository_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(got.configuration_id(), Some(id.as_str()));
    assert_eq!(got.triggers(), [t]);
    client
        .delete_repository()
        .repository_name("kept")
        .send()
        .await
        .unwrap();
    create_repo(&client, "kept").await;
    let got = client
        .get_repository_triggers()
        .repository_name("kept")
        .send()
        .await
        .unwrap();
    assert!(got.triggers().is_empty());
    assert_err!(
        client
            .get_repository_triggers()
            .repository_name("keep")
            .send()
            .await,
        "RepositoryDoesNotExistException"
    );
}

/// Sends a raw PutRepositoryTriggers (and the same TestRepositoryTriggers) and answers the
/// exception names.
fn raw(server: &TestServer, body: serde_json::Value) -> (String, String) {
    let call = |op: &str| {
        let r = http::api(
            server.addr,
            &format!("CodeCommit_20150413.{op}"),
            &body.to_string(),
        );
        assert_eq!(r.status, 400, "{op} {body}: {}", r.text());
        r.json()["__type"].as_str().unwrap().to_owned()
    };
    (
        call("PutRepositoryTriggers"),
        call("TestRepositoryTriggers"),
    )
}

#[tokio::test]
async fn validation_by_exception_name() {
    let (server, client, _) = server_with("val").await;
    let ok = json!({"name": "t", "destinationArn": TOPIC, "branches": [], "events": ["all"]});
    let with = |k: &str, v: serde_json::Value| {
        let mut t = ok.clone();
        t[k] = v;
        json!({"repositoryName": "val", "triggers": [t]})
    };
    let without = |k: &str| {
        let mut t = ok.clone();
        t.as_object_mut().unwrap().remove(k);
        json!({"repositoryName": "val", "triggers": [t]})
    };
    let cases = [
        (json!({"triggers": [ok]}), "RepositoryNameRequiredException"),
        (
            json!({"repositoryName": "bad name", "triggers": [ok]}),
            "InvalidRepositoryNameException",
        ),
        (
            json!({"repositoryName": "nope", "triggers": [ok]}),
            "RepositoryDoesNotExistException",
        ),
        (
            json!({"repositoryName": "val"}),
            "RepositoryTriggersListRequiredException",
        ),
        (
            json!({"repositoryName": "val", "triggers": (0..11).map(|i| {
                let mut t = ok.clone();
                t["name"] = format!("t{i}").into();
                t
            }).collect::<Vec<_>>()}),
            "MaximumRepositoryTriggersExceededException",
        ),
        (without("name"), "RepositoryTriggerNameRequiredException"),
        (
            with("name", json!("")),
            "RepositoryTriggerNameRequiredException",
        ),
        (
            with("name", json!("has space")),
            "InvalidRepositoryTriggerNameException",
        ),
        (
            with("name", json!("a,b")),
            "InvalidRepositoryTriggerNameException",
        ),
        (
            with("name", json!("x".repeat(101))),
            "InvalidRepositoryTriggerNameException",
        ),
        (
            json!({"repositoryName": "val", "triggers": [ok, ok]}),
            "InvalidRepositoryTriggerNameException",
        ),
        (
            without("destinationArn"),
            "RepositoryTriggerDestinationArnRequiredException",
        ),
        (
            with(
                "destinationArn",
                json!("arn:aws:sqs:us-east-1:000000000000:q"),
            ),
            "InvalidRepositoryTriggerDestinationArnException",
        ),
        (
            with(
                "destinationArn",
                json!("arn:aws:sns:us-east-1:000000000000:pushes.fifo"),
            ),
            "InvalidRepositoryTriggerDestinationArnException",
        ),
        (
            with("destinationArn", json!("not-an-arn")),
            "InvalidRepositoryTriggerDestinationArnException",
        ),
        (
            with(
                "destinationArn",
                json!("arn:aws:sns:eu-west-1:000000000000:pushes"),
            ),
            "InvalidRepositoryTriggerRegionException",
        ),
        (
            with(
                "destinationArn",
                json!("arn:aws:lambda:us-west-2:000000000000:function:f"),
            ),
            "InvalidRepositoryTriggerRegionException",
        ),
        (
            with("customData", json!("x".repeat(1001))),
            "InvalidRepositoryTriggerCustomDataException",
        ),
        (
            without("branches"),
            "RepositoryTriggerBranchNameListRequiredException",
        ),
        (
            with(
                "branches",
                json!((0..11).map(|i| format!("b{i}")).collect::<Vec<_>>()),
            ),
            "MaximumBranchesExceededException",
        ),
        (
            with("branches", json!(["ok", "bad..name"])),
            "InvalidRepositoryTriggerBranchNameException",
        ),
        (
            with("branches", json!([""])),
            "InvalidRepositoryTriggerBranchNameException",
        ),
        (
            without("events"),
            "RepositoryTriggerEventsListRequiredException",
        ),
        (
            with("events", json!([])),
            "RepositoryTriggerEventsListRequiredException",
        ),
        (
            with("events", json!(["pushed"])),
            "InvalidRepositoryTriggerEventsException",
        ),
        (
            with("events", json!(["all", "createReference"])),
            "InvalidRepositoryTriggerEventsException",
        ),
    ];
    for (body, expected) in cases {
        let (put, test) = raw(&server, body.clone());
        assert_eq!(put, expected, "PutRepositoryTriggers {body}");
        assert_eq!(test, expected, "TestRepositoryTriggers {body}");
    }
    // Nothing was stored by any of them.
    let got = client
        .get_repository_triggers()
        .repository_name("val")
        .send()
        .await
        .unwrap();
    assert!(got.triggers().is_empty());

    // Limits themselves are fine: 10 triggers of 10 branches, 1,000 characters of data.
    let max: Vec<RepositoryTrigger> = (0..10)
        .map(|i| {
            RepositoryTrigger::builder()
                .name(format!("t{i}"))
                .destination_arn(TOPIC)
                .set_branches(Some((0..10).map(|b| format!("b{b}")).collect()))
                .events(Ev::DeleteReference)
                .custom_data("x".repeat(1000))
                .build()
                .unwrap()
        })
        .collect();
    put_triggers(&client, "val", max).await;
    // Through the SDK, an unknown event value is refused the same way.
    assert_err!(
        client
            .put_repository_triggers()
            .repository_name("val")
            .triggers(trigger("t", TOPIC, &[], &[Ev::from("sometimes")]))
            .send()
            .await,
        "InvalidRepositoryTriggerEventsException"
    );
}
