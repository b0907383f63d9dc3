//! PutRepositoryTriggers, GetRepositoryTriggers, TestRepositoryTriggers
//! (codecommit-facts.md §2 "Triggers", §6). Triggers are kept by `events::triggers` and fire
//! from the event spine; TestRepositoryTriggers sends a real test record to each destination
//! and reports what the destination answered.

use super::{Ctx, repositories, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::events::RefUpdate;
use crate::events::eventbridge::repository_arn;
use crate::events::triggers::{self, Destination, RecordHeader, Trigger, TriggerConfig};
use crate::git::objects;
use codecommit_model::shapes::*;
use std::collections::HashSet;

/// Triggers per repository (User Guide, Quotas).
pub const MAX_TRIGGERS: usize = 10;
/// Branches per trigger: the console's limit; the API's is not documented
/// (codecommit-facts.md §1 "Counts and sizes").
pub const MAX_BRANCHES: usize = 10;
/// customData characters (User Guide, Quotas).
pub const MAX_CUSTOM_DATA: usize = 1000;

pub fn put_repository_triggers(
    ctx: &Ctx<'_>,
    input: PutRepositoryTriggersInput,
) -> ApiResult<PutRepositoryTriggersOutput> {
    let rec = repositories::lookup(ctx, &input.repository_name)?;
    let triggers = validate_triggers(&input.triggers, &rec.region)?;
    let configuration_id = uuid::Uuid::new_v4().to_string();
    ctx.state.triggers.replace(
        &ctx.state.store,
        &rec.id,
        TriggerConfig {
            configuration_id: configuration_id.clone(),
            triggers,
        },
    )?;
    Ok(PutRepositoryTriggersOutput {
        configuration_id: Some(configuration_id),
    })
}

pub fn get_repository_triggers(
    ctx: &Ctx<'_>,
    input: GetRepositoryTriggersInput,
) -> ApiResult<GetRepositoryTriggersOutput> {
    let rec = repositories::lookup(ctx, &input.repository_name)?;
    let Some(config) = ctx.state.triggers.get(&rec.id) else {
        return Ok(GetRepositoryTriggersOutput {
            configuration_id: Some(triggers::initial_configuration_id(&rec.id)),
            triggers: Some(Vec::new()),
        });
    };
    Ok(GetRepositoryTriggersOutput {
        configuration_id: Some(config.configuration_id.clone()),
        triggers: Some(config.triggers.iter().map(wire).collect()),
    })
}

fn wire(t: &Trigger) -> RepositoryTrigger {
    RepositoryTrigger {
        name: Some(t.name.clone()),
        destination_arn: Some(t.destination_arn.clone()),
        custom_data: t.custom_data.clone(),
        branches: Some(t.branches.clone()),
        events: Some(
            t.events
                .iter()
                .map(|e| RepositoryTriggerEventEnum::parse(e))
                .collect(),
        ),
    }
}

pub fn test_repository_triggers(
    ctx: &Ctx<'_>,
    input: TestRepositoryTriggersInput,
) -> ApiResult<TestRepositoryTriggersOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let triggers = validate_triggers(&input.triggers, &o.rec.region)?;
    let configuration_id = ctx
        .state
        .triggers
        .get(&o.rec.id)
        .map(|c| c.configuration_id.clone())
        .unwrap_or_else(|| triggers::initial_configuration_id(&o.rec.id));
    let arn = repository_arn(&o.rec.region, &o.rec.account, &o.rec.name);
    let event_id = uuid::Uuid::new_v4().to_string();
    let time = super::now_epoch();
    let mut sends = Vec::new();
    for t in &triggers {
        // The latest commit of a branch the trigger watches (or the default branch); an empty
        // repository sends zeros.
        let candidates: Vec<&str> = if t.branches.is_empty() {
            o.rec.default_branch.as_deref().into_iter().collect()
        } else {
            t.branches.iter().map(String::as_str).collect()
        };
        let mut reference = None;
        for b in &candidates {
            if let Some(tip) = objects::branch_tip(&o.repo, b)? {
                reference = Some((format!("refs/heads/{b}"), tip.to_string()));
                break;
            }
        }
        let (ref_name, commit) = reference.unwrap_or_else(|| {
            (
                format!(
                    "refs/heads/{}",
                    candidates.first().copied().unwrap_or("main")
                ),
                triggers::ZERO_COMMIT.to_owned(),
            )
        });
        let update = RefUpdate {
            ref_name,
            old: Some(commit.clone()),
            new: Some(commit),
        };
        let header = RecordHeader {
            region: &o.rec.region,
            repository_arn: &arn,
            configuration_id: &configuration_id,
            trigger: t,
            event_name: "TriggerEventTest",
            event_id: &event_id,
            time,
            user_arn: &ctx.caller.arn,
        };
        let payload = triggers::records(&header, &[&update])
            .pop()
            .unwrap_or_default();
        sends.push((t, payload));
    }
    let subject = triggers::sns_subject(&o.rec.region, &o.rec.name);
    let deliverer = &ctx.state.deliverer;
    let attempts = sends.iter().map(|(t, payload)| {
        let subject = subject.as_str();
        async move {
            match t.destination() {
                Destination::Sns => {
                    deliverer
                        .publish(t.destination_region(), &t.destination_arn, subject, payload)
                        .await
                }
                Destination::Lambda => deliverer.invoke(&t.destination_arn, payload).await,
            }
        }
    });
    let all = futures_util::future::join_all(attempts);
    let results = match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.block_on(all),
        Err(_) => {
            return Err(crate::error::ApiError::internal(
                "testing triggers",
                "no async runtime to deliver on",
            ));
        }
    };
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for ((t, _), result) in sends.iter().zip(results) {
        match result {
            Ok(()) => successful.push(t.name.clone()),
            Err(f) => failed.push(RepositoryTriggerExecutionFailure {
                trigger: Some(t.name.clone()),
                failure_message: Some(f.message),
            }),
        }
    }
    Ok(TestRepositoryTriggersOutput {
        successful_executions: Some(successful),
        failed_executions: Some(failed),
    })
}

/// Validates a trigger list as AWS does, each member with its own exception, in the order the
/// model lists them.
fn validate_triggers(
    triggers: &Option<Vec<RepositoryTrigger>>,
    repository_region: &str,
) -> ApiResult<Vec<Trigger>> {
    let Some(list) = triggers else {
        bail!(
            RepositoryTriggersListRequired,
            "The list of triggers for the repository is required, but was not specified."
        )
    };
    if list.len() > MAX_TRIGGERS {
        bail!(
            MaximumRepositoryTriggersExceeded,
            "The number of triggers allowed for the repository was exceeded: {} were specified, the maximum is {MAX_TRIGGERS}.",
            list.len()
        )
    }
    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for t in list {
        let Some(name) = validate::present(&t.name) else {
            bail!(
                RepositoryTriggerNameRequired,
                "A name for the trigger is required, but was not specified."
            )
        };
        if !is_valid_trigger_name(name) {
            bail!(
                InvalidRepositoryTriggerName,
                "The trigger name is not valid: {}. Trigger names can be any combination of letters, numbers, periods, underscores, and dashes between 1 and 100 characters in length.",
                validate::printable(name)
            )
        }
        if !names.insert(name) {
            bail!(
                InvalidRepositoryTriggerName,
                "The trigger name {name} is used by more than one trigger; trigger names must be unique in a repository."
            )
        }
        let Some(arn) = validate::present(&t.destination_arn) else {
            bail!(
                RepositoryTriggerDestinationArnRequired,
                "A destination ARN for the target service for the trigger is required, but was not specified."
            )
        };
        let Some(arn_region) = destination_region(arn) else {
            bail!(
                InvalidRepositoryTriggerDestinationArn,
                "The destination ARN for the trigger is not valid: {}. Specify the ARN of an Amazon SNS standard topic or of an AWS Lambda function.",
                validate::printable(arn)
            )
        };
        if arn_region != repository_region {
            bail!(
                InvalidRepositoryTriggerRegion,
                "The region of the trigger target ({}) does not match the region of the repository ({repository_region}). Triggers must be created in the same region as their target.",
                validate::printable(arn_region)
            )
        }
        if let Some(data) = &t.custom_data
            && data.chars().count() > MAX_CUSTOM_DATA
        {
            bail!(
                InvalidRepositoryTriggerCustomData,
                "The custom data provided for the trigger is not valid: it can be at most {MAX_CUSTOM_DATA} characters."
            )
        }
        let Some(branches) = &t.branches else {
            bail!(
                RepositoryTriggerBranchNameListRequired,
                "At least one branch name is required, but was not specified in the trigger configuration. Specify an empty list to include all branches."
            )
        };
        if branches.len() > MAX_BRANCHES {
            bail!(
                MaximumBranchesExceeded,
                "The number of branches for the trigger was exceeded: {} were specified, the maximum is {MAX_BRANCHES}.",
                branches.len()
            )
        }
        if let Some(bad) = branches.iter().find(|b| !validate::is_valid_branch_name(b)) {
            bail!(
                InvalidRepositoryTriggerBranchName,
                "One or more branch names specified for the trigger is not valid: {}",
                validate::printable(bad)
            )
        }
        let events = match &t.events {
            Some(e) if !e.is_empty() => e,
            _ => bail!(
                RepositoryTriggerEventsListRequired,
                "At least one event for the trigger is required, but was not specified."
            ),
        };
        if let Some(unknown) = events.iter().find(|e| !e.is_known()) {
            bail!(
                InvalidRepositoryTriggerEvents,
                "One or more events specified for the trigger is not valid: {}. Valid events are all, updateReference, createReference and deleteReference.",
                validate::printable(unknown.as_str())
            )
        }
        if events.len() > 1 && events.contains(&RepositoryTriggerEventEnum::All) {
            bail!(
                InvalidRepositoryTriggerEvents,
                "One or more events specified for the trigger is not valid: the event all cannot be combined with other events."
            )
        }
        let mut event_names: Vec<String> = Vec::with_capacity(events.len());
        for e in events {
            if !event_names.iter().any(|x| x == e.as_str()) {
                event_names.push(e.as_str().to_owned());
            }
        }
        out.push(Trigger {
            name: name.to_owned(),
            destination_arn: arn.to_owned(),
            custom_data: t.custom_data.clone(),
            branches: branches.clone(),
            events: event_names,
        });
    }
    Ok(out)
}

/// Trigger names: 1–100 letters, digits, `.`, `_`, `-` (User Guide, Quotas).
fn is_valid_trigger_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The region of a destination ARN CodeCommit can deliver to: an SNS standard topic
/// (`arn:aws:sns:REGION:ACCOUNT:NAME`; FIFO topics are not supported) or a Lambda function
/// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`). `None` for anything else.
pub fn destination_region(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 6 || parts[0] != "arn" || !parts[1].starts_with("aws") {
        return None;
    }
    let (region, account) = (parts[3], parts[4]);
    if !crate::protocol::sigv4::is_region_name(region) || !crate::identity::is_account_id(account) {
        return None;
    }
    let name_ok = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    };
    let ok = match parts[2] {
        "sns" => parts.len() == 6 && name_ok(parts[5], 256),
        "lambda" => {
            (parts.len() == 7 || parts.len() == 8)
                && parts[5] == "function"
                && name_ok(parts[6], 64)
                && parts
                    .get(7)
                    .is_none_or(|q| *q == "$LATEST" || name_ok(q, 128))
        }
        _ => false,
    };
    ok.then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_arns() {
        assert_eq!(
            destination_region("arn:aws:sns:us-east-1:000000000000:pushes"),
            Some("us-east-1")
        );
        assert_eq!(
            destination_region("arn:aws:lambda:eu-west-1:111122223333:function:build"),
            Some("eu-west-1")
        );
        assert_eq!(
            destination_region("arn:aws:lambda:eu-west-1:111122223333:function:build:live"),
            Some("eu-west-1")
        );
        for bad in [
            "",
            "arn:aws:sns:us-east-1:000000000000:pushes.fifo",
            "arn:aws:sqs:us-east-1:000000000000:queue",
            "arn:aws:sns:us-east-1:0000:pushes",
            "arn:aws:lambda:us-east-1:000000000000:layer:x",
            "arn:aws:sns:us-east-1:000000000000:",
            "not-an-arn",
        ] {
            assert_eq!(destination_region(bad), None, "{bad}");
        }
    }

    #[test]
    fn trigger_names() {
        assert!(is_valid_trigger_name("ci.main_push-1"));
        assert!(!is_valid_trigger_name("has space"));
        assert!(!is_valid_trigger_name("a,b"));
        assert!(!is_valid_trigger_name(&"x".repeat(101)));
    }
}
