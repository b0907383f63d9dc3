//! Repository triggers and events: the trigger operations with AWS's validation, and delivery
//! to a real moto server (SNS → SQS, EventBridge rule → SQS), to a recording Lambda endpoint
//! and to a webhook, through pushes and API writes alike.

mod api;
mod delivery;
mod endpoints;

use crate::common::moto::moto;
use crate::common::*;
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::{RepositoryTrigger, RepositoryTriggerEventEnum};
use codecommit_local::config::DeliveryConfig;
use std::time::Duration;

/// How long a test waits for a delivery it expects.
pub const DELIVERY_WAIT: Duration = Duration::from_secs(30);

/// A trigger for the SDK.
pub fn trigger(
    name: &str,
    arn: &str,
    branches: &[&str],
    events: &[RepositoryTriggerEventEnum],
) -> RepositoryTrigger {
    RepositoryTrigger::builder()
        .name(name)
        .destination_arn(arn)
        .set_branches(Some(branches.iter().map(|b| b.to_string()).collect()))
        .set_events(Some(events.to_vec()))
        .build()
        .unwrap()
}

/// Delivery settings for tests: quick retries, short timeouts.
pub fn quick_delivery(endpoint: &str) -> DeliveryConfig {
    DeliveryConfig {
        backoff_initial: Duration::from_millis(50),
        backoff_max: Duration::from_millis(500),
        timeout: Duration::from_secs(5),
        max_attempts: 1000,
        ..DeliveryConfig::default().with_endpoint(endpoint)
    }
}

/// A server that delivers to the shared moto server.
pub fn moto_server() -> TestServer {
    let endpoint = moto().endpoint.clone();
    TestServer::start_with(|c| c.delivery = quick_delivery(&endpoint))
}

/// `PutRepositoryTriggers`, which must succeed; answers the configuration id.
pub async fn put_triggers(client: &Client, repo: &str, triggers: Vec<RepositoryTrigger>) -> String {
    client
        .put_repository_triggers()
        .repository_name(repo)
        .set_triggers(Some(triggers))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PutRepositoryTriggers: {e:?}"))
        .configuration_id
        .expect("configurationId")
}

/// The trigger records in SNS notifications that arrived on an SQS queue (non-raw delivery:
/// each body is SNS's envelope with the record as `Message`), checking the envelope.
pub fn sns_records(bodies: &[String], topic: &str, subject: &str) -> Vec<serde_json::Value> {
    bodies
        .iter()
        .map(|b| {
            let envelope: serde_json::Value = serde_json::from_str(b).unwrap();
            assert_eq!(envelope["Type"], "Notification", "{envelope}");
            assert_eq!(envelope["TopicArn"], topic);
            assert_eq!(envelope["Subject"], subject);
            serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
        })
        .collect()
}

/// `GET /_events` on a server.
pub fn list_events(server: &TestServer, query: &str) -> serde_json::Value {
    http::request(server.addr, "GET", &format!("/_events?{query}"), &[], b"").json()
}

/// The listed events (`GET /_events`) that went, or were to go, to `target`.
pub fn events_to<'a>(listed: &'a serde_json::Value, target: &str) -> Vec<&'a serde_json::Value> {
    listed["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["target"] == target)
        .collect()
}

/// Waits until no event of the repository is pending any more (all delivered or given up).
pub fn wait_settled(server: &TestServer, repository: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + DELIVERY_WAIT;
    loop {
        let listed = list_events(server, &format!("repository={repository}&limit=1000"));
        let pending = listed["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "pending");
        if !pending || std::time::Instant::now() > deadline {
            return listed;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks the parts of a trigger record that vary from run to run (ids, time) and blanks them
/// so the rest can be compared whole.
pub fn normalize_record(mut record: serde_json::Value) -> serde_json::Value {
    let r = &mut record["Records"][0];
    let id = r["eventId"].as_str().unwrap();
    assert_eq!(id.len(), 36, "eventId is a UUID: {id}");
    let time = r["eventTime"].as_str().unwrap().to_owned();
    // 2016-02-09T00:08:11.743+0000
    assert_eq!(time.len(), 28, "{time}");
    assert!(
        time.ends_with("+0000") && time.as_bytes()[19] == b'.',
        "{time}"
    );
    r["eventId"] = "ID".into();
    r["eventTime"] = "TIME".into();
    record
}
