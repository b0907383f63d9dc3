//! GetPullRequest, ListPullRequests (most recent activity first) and DescribePullRequestEvents
//! (oldest first), with their filters and opaque paging tokens.

use super::records::{self, ActivityKey, Status};
use super::*;
use crate::api::{paginate, repositories};

/// ListPullRequests pages: AWS documents no default or maximum; 100 by default, up to 1,000.
const LIST_PAGE: usize = 100;
const LIST_PAGE_MAX: usize = 1000;
/// DescribePullRequestEvents: "The default is 100 events, which is also the maximum".
const EVENTS_PAGE: usize = 100;

pub fn get_pull_request(
    ctx: &Ctx<'_>,
    input: GetPullRequestInput,
) -> ApiResult<GetPullRequestOutput> {
    let number = pull_request_number(&input.pull_request_id)?;
    let pr = ctx.state.store.read(|conn| {
        let pr = find_in(ctx, conn, number)?;
        view(ctx.state, conn, &pr)
    })?;
    Ok(GetPullRequestOutput {
        pull_request: Some(pr),
    })
}

pub fn list_pull_requests(
    ctx: &Ctx<'_>,
    input: ListPullRequestsInput,
) -> ApiResult<ListPullRequestsOutput> {
    let rec = repositories::lookup(ctx, &input.repository_name)?;
    let author = validate::present(&input.author_arn);
    if let Some(arn) = author {
        match check_principal_arn(ctx, arn) {
            ArnCheck::Invalid => bail!(
                InvalidAuthorArn,
                "The Amazon Resource Name (ARN) is not valid: {}. Make sure that you have provided the full ARN for the author of the pull request, and then try again.",
                validate::printable(arn)
            ),
            ArnCheck::OtherAccount => bail!(
                AuthorDoesNotExist,
                "The specified Amazon Resource Name (ARN) does not exist in the AWS account: {}",
                validate::printable(arn)
            ),
            ArnCheck::Ok => {}
        }
    }
    let status = match &input.pull_request_status {
        None => None,
        Some(PullRequestStatusEnum::Open) => Some(Status::Open),
        Some(PullRequestStatusEnum::Closed) => Some(Status::Closed),
        Some(PullRequestStatusEnum::Unknown(s)) => bail!(
            InvalidPullRequestStatus,
            "The pull request status is not valid: {}. The only valid values are OPEN and CLOSED.",
            validate::printable(s)
        ),
    };
    let limit = paginate::page_size(input.max_results, LIST_PAGE, LIST_PAGE_MAX)?;
    // The token is bound to the repository and the filters it was made for.
    let kind = format!(
        "pull-requests/{}/{}/{}",
        rec.id,
        status.map(Status::as_str).unwrap_or(""),
        author.unwrap_or("")
    );
    let after = match paginate::decode_opt(&kind, &input.next_token)? {
        None => None,
        Some(k) => Some(parse_activity_key(&k).ok_or_else(|| {
            crate::err!(
                InvalidContinuationToken,
                "The continuation token is not valid."
            )
        })?),
    };
    let mut rows = ctx
        .state
        .store
        .read(|conn| records::list(conn, &rec.id, status, author, after, limit + 1))?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_token = more
        .then(|| {
            rows.last()
                .map(|(_, k)| paginate::encode(&kind, &activity_token(k)))
        })
        .flatten();
    Ok(ListPullRequestsOutput {
        pull_request_ids: Some(rows.iter().map(|(n, _)| n.to_string()).collect()),
        next_token,
    })
}

/// `<lastActivityDate as f64 bits in hex>:<key>`: exact, whatever the float.
fn activity_token(k: &ActivityKey) -> String {
    format!("{:016x}:{}", k.last_activity_date.to_bits(), k.key)
}

fn parse_activity_key(s: &str) -> Option<ActivityKey> {
    let (bits, key) = s.split_once(':')?;
    Some(ActivityKey {
        last_activity_date: f64::from_bits(u64::from_str_radix(bits, 16).ok()?),
        key: key.parse().ok()?,
    })
}

pub fn describe_pull_request_events(
    ctx: &Ctx<'_>,
    input: DescribePullRequestEventsInput,
) -> ApiResult<DescribePullRequestEventsOutput> {
    let number = pull_request_number(&input.pull_request_id)?;
    let event_type = match &input.pull_request_event_type {
        None => None,
        Some(PullRequestEventType::Unknown(s)) => bail!(
            InvalidPullRequestEventType,
            "The pull request event type is not valid: {}",
            validate::printable(s)
        ),
        Some(t) => Some(t.as_str().to_owned()),
    };
    let actor = validate::present(&input.actor_arn);
    if let Some(arn) = actor {
        match check_principal_arn(ctx, arn) {
            ArnCheck::Invalid => bail!(
                InvalidActorArn,
                "The Amazon Resource Name (ARN) is not valid: {}. Make sure that you have provided the full ARN for the user who initiated the change for the pull request, and then try again.",
                validate::printable(arn)
            ),
            ArnCheck::OtherAccount => bail!(
                ActorDoesNotExist,
                "The specified Amazon Resource Name (ARN) does not exist in the AWS account: {}",
                validate::printable(arn)
            ),
            ArnCheck::Ok => {}
        }
    }
    let limit = paginate::page_size(input.max_results, EVENTS_PAGE, EVENTS_PAGE)?;
    let kind = format!(
        "pull-request-events/{}/{}/{number}/{}/{}",
        ctx.account,
        ctx.region,
        event_type.as_deref().unwrap_or(""),
        actor.unwrap_or("")
    );
    let after = paginate::decode_index(&kind, &input.next_token)?;
    let (pr, mut rows) = ctx.state.store.read(|conn| {
        let pr = find_in(ctx, conn, number)?;
        let rows = records::events(
            conn,
            pr.key,
            event_type.as_deref(),
            actor,
            after as i64,
            limit + 1,
        )?;
        Ok((pr, rows))
    })?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let repository_name = ctx
        .state
        .store
        .get_by_id(&pr.repository_id)
        .map(|r| r.name.clone());
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        events.push(event_view(&pr.id(), row, repository_name.as_deref())?);
    }
    let next_token = more
        .then(|| {
            rows.last()
                .map(|r| paginate::encode(&kind, &r.seq.to_string()))
        })
        .flatten();
    Ok(DescribePullRequestEventsOutput {
        pull_request_events: Some(events),
        next_token,
    })
}

/// An event as DescribePullRequestEvents shows it: the common members plus the stored
/// metadata member, with the repository's current name.
fn event_view(
    id: &str,
    row: &records::EventRow,
    repository_name: Option<&str>,
) -> ApiResult<PullRequestEvent> {
    let mut v: serde_json::Value = serde_json::from_str(&row.metadata)
        .map_err(|e| crate::error::ApiError::internal("reading a pull request event", e))?;
    let obj = v.as_object_mut().ok_or_else(|| {
        crate::error::ApiError::internal("reading a pull request event", "not an object")
    })?;
    for member in obj.values_mut() {
        if let Some(m) = member.as_object_mut()
            && m.contains_key("repositoryName")
            && let Some(name) = repository_name
        {
            m.insert("repositoryName".into(), name.into());
        }
    }
    obj.insert("pullRequestId".into(), id.into());
    obj.insert("pullRequestEventType".into(), row.event_type.clone().into());
    obj.insert("actorArn".into(), row.actor_arn.clone().into());
    obj.insert("eventDate".into(), row.event_date.into());
    serde_json::from_value(v)
        .map_err(|e| crate::error::ApiError::internal("reading a pull request event", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_tokens_round_trip_exactly() {
        for date in [1796175651.546, 0.1 + 0.2, 1e-300, 1796175651.0] {
            let k = ActivityKey {
                last_activity_date: date,
                key: 42,
            };
            assert_eq!(parse_activity_key(&activity_token(&k)), Some(k));
        }
        assert_eq!(parse_activity_key("zz:1"), None);
        assert_eq!(parse_activity_key("3ff0000000000000"), None);
    }
}
