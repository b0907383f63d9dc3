//! Repository triggers: the configurations PutRepositoryTriggers stored (SQLite
//! `repository_triggers`, answered from memory), which refs a trigger matches, and the record
//! CodeCommit sends to a trigger's SNS topic or Lambda function (codecommit-facts.md §6
//! "Repository trigger payload").

use super::RefUpdate;
use crate::error::{ApiResult, Internal as _};
use crate::store::Store;
use parking_lot::{Mutex, RwLock};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// One trigger as it was configured (validated by `api::triggers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub destination_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<String>,
    /// Empty: every branch (and tag).
    pub branches: Vec<String>,
    /// `all`, `createReference`, `updateReference`, `deleteReference`.
    pub events: Vec<String>,
}

/// What kind of destination a trigger ARN names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Sns,
    Lambda,
}

impl Trigger {
    /// Whether a moved ref is one this trigger reports: the event filter (`all` or the kind of
    /// move) and the branch filter (none = every ref; otherwise branches by name, never tags).
    pub fn matches(&self, u: &RefUpdate) -> bool {
        let kind = match (&u.old, &u.new) {
            (None, _) => "createReference",
            (_, None) => "deleteReference",
            _ => "updateReference",
        };
        let event_ok = self.events.iter().any(|e| e == "all" || e == kind);
        let branch_ok = self.branches.is_empty()
            || u.ref_name
                .strip_prefix("refs/heads/")
                .is_some_and(|b| self.branches.iter().any(|x| x == b));
        event_ok && branch_ok
    }

    pub fn destination(&self) -> Destination {
        if self.destination_arn.split(':').nth(2) == Some("lambda") {
            Destination::Lambda
        } else {
            Destination::Sns
        }
    }

    /// The region in the destination ARN.
    pub fn destination_region(&self) -> &str {
        self.destination_arn.split(':').nth(3).unwrap_or("")
    }
}

/// A repository's trigger set and the id of the PutRepositoryTriggers call that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerConfig {
    pub configuration_id: String,
    pub triggers: Vec<Trigger>,
}

/// Every repository's triggers, loaded at startup and kept in step with SQLite, so a push
/// never reads the database to find them.
#[derive(Default)]
pub struct Triggers {
    cache: RwLock<HashMap<String, Arc<TriggerConfig>>>,
    /// Serializes replacements so the cache follows the database's order.
    replace: Mutex<()>,
}

impl Triggers {
    pub fn load(store: &Store) -> ApiResult<Triggers> {
        let rows = store.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT repository_id, configuration_id, triggers FROM repository_triggers",
            )?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        let mut cache = HashMap::new();
        for (id, configuration_id, json) in rows {
            let triggers: Vec<Trigger> =
                serde_json::from_str(&json).internal("reading stored triggers")?;
            cache.insert(
                id,
                Arc::new(TriggerConfig {
                    configuration_id,
                    triggers,
                }),
            );
        }
        Ok(Triggers {
            cache: RwLock::new(cache),
            replace: Mutex::new(()),
        })
    }

    pub fn get(&self, repository_id: &str) -> Option<Arc<TriggerConfig>> {
        self.cache.read().get(repository_id).cloned()
    }

    /// Replaces a repository's whole trigger set (durably, before the caller answers).
    pub fn replace(
        &self,
        store: &Store,
        repository_id: &str,
        config: TriggerConfig,
    ) -> ApiResult<()> {
        let _serial = self.replace.lock();
        let json = serde_json::to_string(&config.triggers).internal("encoding triggers")?;
        store.write(|tx| {
            tx.execute(
                "INSERT INTO repository_triggers (repository_id, configuration_id, triggers)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT(repository_id) DO UPDATE SET configuration_id = excluded.configuration_id,
                     triggers = excluded.triggers",
                params![repository_id, config.configuration_id, json],
            )?;
            Ok(())
        })?;
        self.cache
            .write()
            .insert(repository_id.to_owned(), Arc::new(config));
        Ok(())
    }

    /// Forgets a deleted repository's triggers (its rows went with it by cascade).
    pub fn forget(&self, repository_id: &str) {
        self.cache.write().remove(repository_id);
    }

    /// Forgets everything (the `/reset` endpoint; the rows are gone already).
    pub fn clear(&self) {
        self.cache.write().clear();
    }
}

/// The configuration id GetRepositoryTriggers reports for a repository that never had
/// triggers: stable for the repository, shaped like the UUIDs PutRepositoryTriggers returns.
pub fn initial_configuration_id(repository_id: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("codecommit-local/triggers/{repository_id}").as_bytes(),
    )
    .to_string()
}

/// The commit id CodeCommit puts in test records of an empty repository.
pub const ZERO_COMMIT: &str = "0000000000000000000000000000000000000000";

/// How many references one record carries at most; a larger push is split into parts
/// (`eventPartNumber` / `eventTotalParts`), so each message stays well under SNS's 256 KB.
pub const REFERENCES_PER_PART: usize = 1000;

/// The fields of a trigger record (SNS message body, Lambda event). Fields are declared in
/// alphabetical order, the order real records show.
#[derive(Serialize)]
struct Records<'a> {
    #[serde(rename = "Records")]
    records: [Record<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    aws_region: &'a str,
    codecommit: Codecommit<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_data: Option<&'a str>,
    event_id: &'a str,
    event_name: &'a str,
    event_part_number: usize,
    event_source: &'static str,
    #[serde(rename = "eventSourceARN")]
    event_source_arn: &'a str,
    event_time: &'a str,
    event_total_parts: usize,
    event_trigger_config_id: &'a str,
    event_trigger_name: &'a str,
    event_version: &'static str,
    #[serde(rename = "userIdentityARN")]
    user_identity_arn: &'a str,
}

#[derive(Serialize)]
struct Codecommit<'a> {
    references: Vec<Reference<'a>>,
}

#[derive(Serialize)]
struct Reference<'a> {
    commit: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    created: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
    #[serde(rename = "ref")]
    ref_name: &'a str,
}

/// Everything a record says besides its references.
pub struct RecordHeader<'a> {
    pub region: &'a str,
    /// The repository's ARN.
    pub repository_arn: &'a str,
    pub configuration_id: &'a str,
    pub trigger: &'a Trigger,
    /// `ReferenceChanges`, or `TriggerEventTest` for TestRepositoryTriggers.
    pub event_name: &'a str,
    pub event_id: &'a str,
    /// Epoch seconds.
    pub time: f64,
    pub user_arn: &'a str,
}

/// The records (one per part) a trigger receives for these ref moves, as compact JSON.
pub fn records(header: &RecordHeader<'_>, updates: &[&RefUpdate]) -> Vec<String> {
    let time = crate::timefmt::iso8601_millis_offset(header.time);
    let chunks: Vec<&[&RefUpdate]> = updates.chunks(REFERENCES_PER_PART).collect();
    let total = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let references = chunk
                .iter()
                .map(|u| Reference {
                    // A deleted ref reports the commit it pointed at.
                    commit: u.new.as_deref().or(u.old.as_deref()).unwrap_or(ZERO_COMMIT),
                    created: u.old.is_none(),
                    deleted: u.new.is_none(),
                    ref_name: &u.ref_name,
                })
                .collect();
            let body = Records {
                records: [Record {
                    aws_region: header.region,
                    codecommit: Codecommit { references },
                    custom_data: header.trigger.custom_data.as_deref(),
                    event_id: header.event_id,
                    event_name: header.event_name,
                    event_part_number: i + 1,
                    event_source: "aws:codecommit",
                    event_source_arn: header.repository_arn,
                    event_time: &time,
                    event_total_parts: total,
                    event_trigger_config_id: header.configuration_id,
                    event_trigger_name: &header.trigger.name,
                    event_version: "1.0",
                    user_identity_arn: header.user_arn,
                }],
            };
            serde_json::to_string(&body).unwrap_or_default()
        })
        .collect()
}

/// The SNS subject CodeCommit gives trigger messages (seen in real deliveries:
/// `UPDATE: AWS CodeCommit us-west-2 push: my-repo`), within SNS's 100-character limit.
pub fn sns_subject(region: &str, repository_name: &str) -> String {
    let subject = format!("UPDATE: AWS CodeCommit {region} push: {repository_name}");
    subject.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(branches: &[&str], events: &[&str]) -> Trigger {
        Trigger {
            name: "t".into(),
            destination_arn: "arn:aws:sns:us-east-1:000000000000:topic".into(),
            custom_data: None,
            branches: branches.iter().map(|s| s.to_string()).collect(),
            events: events.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn update(name: &str, old: Option<&str>, new: Option<&str>) -> RefUpdate {
        RefUpdate {
            ref_name: name.into(),
            old: old.map(Into::into),
            new: new.map(Into::into),
        }
    }

    #[test]
    fn filters_by_event_and_branch() {
        let created = update("refs/heads/main", None, Some("a"));
        let updated = update("refs/heads/main", Some("a"), Some("b"));
        let deleted = update("refs/heads/dev", Some("a"), None);
        let tag = update("refs/tags/v1", None, Some("a"));
        let all = trigger(&[], &["all"]);
        assert!(all.matches(&created) && all.matches(&deleted) && all.matches(&tag));
        let main_only = trigger(&["main"], &["all"]);
        assert!(main_only.matches(&updated));
        assert!(!main_only.matches(&deleted));
        assert!(!main_only.matches(&tag));
        let creates = trigger(&[], &["createReference"]);
        assert!(creates.matches(&created) && !creates.matches(&updated));
        let upd_del = trigger(&["dev", "main"], &["updateReference", "deleteReference"]);
        assert!(upd_del.matches(&updated) && upd_del.matches(&deleted));
        assert!(!upd_del.matches(&created));
    }

    #[test]
    fn record_shape() {
        let t = Trigger {
            custom_data: Some("Project ID 12345".into()),
            ..trigger(&[], &["all"])
        };
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let ups = [
            update("refs/heads/new", None, Some(&a)),
            update("refs/heads/main", Some(&a), Some(&b)),
            update("refs/heads/gone", Some(&b), None),
        ];
        let refs: Vec<&RefUpdate> = ups.iter().collect();
        let header = RecordHeader {
            region: "us-east-2",
            repository_arn: "arn:aws:codecommit:us-east-2:111122223333:MyDemoRepo",
            configuration_id: "cfg",
            trigger: &t,
            event_name: "ReferenceChanges",
            event_id: "id-1",
            time: 1454976491.743,
            user_arn: "arn:aws:iam::111122223333:user/JaneDoe",
        };
        let out = records(&header, &refs);
        assert_eq!(out.len(), 1);
        let expected = format!(
            concat!(
                r#"{{"Records":[{{"awsRegion":"us-east-2","codecommit":{{"references":["#,
                r#"{{"commit":"{a}","created":true,"ref":"refs/heads/new"}},"#,
                r#"{{"commit":"{b}","ref":"refs/heads/main"}},"#,
                r#"{{"commit":"{b}","deleted":true,"ref":"refs/heads/gone"}}]}},"#,
                r#""customData":"Project ID 12345","eventId":"id-1","eventName":"ReferenceChanges","#,
                r#""eventPartNumber":1,"eventSource":"aws:codecommit","#,
                r#""eventSourceARN":"arn:aws:codecommit:us-east-2:111122223333:MyDemoRepo","#,
                r#""eventTime":"2016-02-09T00:08:11.743+0000","eventTotalParts":1,"#,
                r#""eventTriggerConfigId":"cfg","eventTriggerName":"t","eventVersion":"1.0","#,
                r#""userIdentityARN":"arn:aws:iam::111122223333:user/JaneDoe"}}]}}"#
            ),
            a = a,
            b = b
        );
        assert_eq!(out[0], expected);
    }

    #[test]
    fn large_pushes_come_in_parts() {
        let t = trigger(&[], &["all"]);
        let ups: Vec<RefUpdate> = (0..2500)
            .map(|i| update(&format!("refs/heads/b{i}"), None, Some("c")))
            .collect();
        let refs: Vec<&RefUpdate> = ups.iter().collect();
        let header = RecordHeader {
            region: "us-east-1",
            repository_arn: "arn",
            configuration_id: "cfg",
            trigger: &t,
            event_name: "ReferenceChanges",
            event_id: "e",
            time: 0.0,
            user_arn: "u",
        };
        let parts = records(&header, &refs);
        assert_eq!(parts.len(), 3);
        let last: serde_json::Value = serde_json::from_str(&parts[2]).unwrap();
        assert_eq!(last["Records"][0]["eventPartNumber"], 3);
        assert_eq!(last["Records"][0]["eventTotalParts"], 3);
        assert_eq!(
            last["Records"][0]["codecommit"]["references"]
                .as_array()
                .unwrap()
                .len(),
            500
        );
    }
}
