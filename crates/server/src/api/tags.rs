//! Tags on repositories, the only taggable CodeCommit resource (codecommit-facts.md §2 "Tags").

use super::{Ctx, validate};
use crate::bail;
use crate::error::ApiResult;
use crate::store::RepoRecord;
use codecommit_model::shapes::*;
use std::sync::Arc;

/// Resolves `arn:aws:codecommit:<region>:<account>:<name>` to a repository of the caller.
fn repository_for_arn(ctx: &Ctx<'_>, arn: &Option<String>) -> ApiResult<Arc<RepoRecord>> {
    let Some(arn) = validate::present(arn) else {
        bail!(
            ResourceArnRequired,
            "A valid Amazon Resource Name (ARN) for a CodeCommit repository is required, but was not specified."
        )
    };
    let invalid = || {
        crate::err!(
            InvalidResourceArn,
            "The value for the resource ARN is not valid: {}",
            validate::printable(arn)
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, name] = parts[..] else {
        return Err(invalid());
    };
    if prefix != "arn"
        || !partition.starts_with("aws")
        || service != "codecommit"
        || !super::super::protocol::sigv4::is_region_name(region)
        || !crate::identity::is_account_id(account)
        || name.is_empty()
    {
        return Err(invalid());
    }
    validate::check_repository_name(name)?;
    if account != ctx.account || region != ctx.region {
        bail!(RepositoryDoesNotExist, "{name} does not exist")
    }
    super::repositories::find(ctx, name)
}

pub fn tag_resource(ctx: &Ctx<'_>, input: TagResourceInput) -> ApiResult<()> {
    let rec = repository_for_arn(ctx, &input.resource_arn)?;
    let Some(tags) = input.tags else {
        bail!(TagsMapRequired, "A map of tags is required.")
    };
    validate::tags_map(&tags)?;
    ctx.state.store.update(&rec.id, |r| {
        r.tags.extend(tags);
        if r.tags.len() > 50 {
            bail!(
                TooManyTags,
                "The maximum number of tags for a repository is 50."
            )
        }
        Ok(())
    })?;
    Ok(())
}

pub fn untag_resource(ctx: &Ctx<'_>, input: UntagResourceInput) -> ApiResult<()> {
    let rec = repository_for_arn(ctx, &input.resource_arn)?;
    // An empty list is as good as none: "A list of tag keys is required. The list cannot be
    // empty or null." (API Reference, TagKeysListRequiredException).
    let keys = match input.tag_keys {
        Some(keys) if !keys.is_empty() => keys,
        _ => bail!(
            TagKeysListRequired,
            "A list of tag keys is required. The list cannot be empty or null."
        ),
    };
    for key in &keys {
        if validate::is_system_tag_key(key) {
            bail!(
                InvalidSystemTagUsage,
                "The tag key '{}' is not valid: the 'aws:' prefix is reserved for system use.",
                validate::printable(key)
            )
        }
        if !validate::is_valid_tag_key(key) {
            bail!(
                InvalidTagKeysList,
                "The list of tag keys is not valid: '{}'.",
                validate::printable(key)
            )
        }
    }
    ctx.state.store.update(&rec.id, |r| {
        for key in &keys {
            r.tags.remove(key);
        }
        Ok(())
    })?;
    Ok(())
}

pub fn list_tags_for_resource(
    ctx: &Ctx<'_>,
    input: ListTagsForResourceInput,
) -> ApiResult<ListTagsForResourceOutput> {
    let rec = repository_for_arn(ctx, &input.resource_arn)?;
    // At most 50 tags: a single page always holds them; a token from elsewhere is still checked.
    super::paginate::decode_opt("tags", &input.next_token)?;
    Ok(ListTagsForResourceOutput {
        tags: Some(rec.tags.clone()),
        next_token: None,
    })
}
