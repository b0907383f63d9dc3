//! Emoji reactions: THE table of supported reactions, PutCommentReaction (one reaction per
//! user per comment, replaced by a new value, removed by an empty one) and
//! GetCommentReactions.

use super::*;
use crate::api::{now_epoch, paginate};
use codecommit_model::shapes::*;

/// A supported reaction in its spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reaction {
    /// The key of `reactionCounts` and `callerReactions` (and what is stored).
    pub key: &'static str,
    /// "The Emoji Version 1.0 graphic".
    pub emoji: &'static str,
    /// The short code as GetCommentReactions shows it: without colons (the UG/CLI example
    /// prints `"shortCode": "thumbsup"`). Input takes it with or without colons.
    pub short_code: &'static str,
    /// "The Unicode codepoint", `U+XXXX`.
    pub unicode: &'static str,
}

/// The supported reactions, in the order GetCommentReactions lists them. The User Guide's
/// emoji table could not be retrieved (facts-9-10 §1.1), so the set is partly inferred; add
/// rows here and nowhere else.
pub(crate) const REACTIONS: &[Reaction] = &[
    // Confirmed by AWS examples (UG how-to-commit-comment, how-to-review-pull-request,
    // monitoring-events; CLI delete-comment-content).
    Reaction {
        key: "THUMBSUP",
        emoji: "\u{1F44D}",
        short_code: "thumbsup",
        unicode: "U+1F44D",
    },
    Reaction {
        key: "THUMBSDOWN",
        emoji: "\u{1F44E}",
        short_code: "thumbsdown",
        unicode: "U+1F44E",
    },
    Reaction {
        key: "SMILE",
        emoji: "\u{1F604}",
        short_code: "smile",
        unicode: "U+1F604",
    },
    Reaction {
        key: "CONFUSED",
        emoji: "\u{1F615}",
        short_code: "confused",
        unicode: "U+1F615",
    },
    Reaction {
        key: "CLAP",
        emoji: "\u{1F44F}",
        short_code: "clap",
        unicode: "U+1F44F",
    },
    // Inferred, NOT confirmed: the reactions review tools commonly offer.
    Reaction {
        key: "HEART",
        emoji: "\u{2764}\u{FE0F}",
        short_code: "heart",
        unicode: "U+2764",
    },
    Reaction {
        key: "TADA",
        emoji: "\u{1F389}",
        short_code: "tada",
        unicode: "U+1F389",
    },
    Reaction {
        key: "ROCKET",
        emoji: "\u{1F680}",
        short_code: "rocket",
        unicode: "U+1F680",
    },
    Reaction {
        key: "EYES",
        emoji: "\u{1F440}",
        short_code: "eyes",
        unicode: "U+1F440",
    },
    Reaction {
        key: "LAUGHING",
        emoji: "\u{1F606}",
        short_code: "laughing",
        unicode: "U+1F606",
    },
];

const VARIATION_SELECTOR: char = '\u{FE0F}';

/// What a `reactionValue` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// "To remove a reaction, provide a value of blank or null. You can also provide the
    /// value of none."
    Remove,
    Set(&'static Reaction),
}

/// Reads a reaction value: the emoji (with or without U+FE0F), the short code (with or
/// without colons, any case) or the code point (`U+1F44D`, any case, optionally followed by
/// `U+FE0F`); blank or `none` removes. `None` when it names no supported reaction.
pub(crate) fn parse(value: &str) -> Option<Wanted> {
    let v = value.trim();
    let bare = v
        .strip_prefix(':')
        .and_then(|s| s.strip_suffix(':'))
        .unwrap_or(v);
    if bare.is_empty() || bare.eq_ignore_ascii_case("none") {
        return Some(Wanted::Remove);
    }
    let no_selector: String = v.chars().filter(|&c| c != VARIATION_SELECTOR).collect();
    let code_point = {
        let upper = v.to_ascii_uppercase().replace(' ', "");
        upper
            .strip_suffix("U+FE0F")
            .map(str::to_owned)
            .unwrap_or(upper)
    };
    REACTIONS
        .iter()
        .find(|r| {
            let emoji: String = r
                .emoji
                .chars()
                .filter(|&c| c != VARIATION_SELECTOR)
                .collect();
            no_selector == emoji
                || bare.eq_ignore_ascii_case(r.short_code)
                || code_point == r.unicode
        })
        .map(Wanted::Set)
}

fn by_key(key: &str) -> Option<(usize, &'static Reaction)> {
    REACTIONS.iter().enumerate().find(|(_, r)| r.key == key)
}

/// The reaction as the event's lists spell it: short codes with colons (`:thumbsdown:`), as
/// the EventBridge examples show.
fn event(ctx: &Ctx<'_>, kind: ChangeKind, repository_id: &str, comment_id: &str, r: &Reaction) {
    events::publish(
        ctx.state,
        Event::Reaction(events::payload::ReactionEvent {
            account: ctx.account.clone(),
            region: ctx.region.clone(),
            kind,
            caller_arn: ctx.caller_arn(),
            repository_id: repository_id.to_owned(),
            repository_name: repository_name(ctx, repository_id).unwrap_or_default(),
            comment_id: comment_id.to_owned(),
            emojis: vec![r.emoji.to_owned()],
            shortcodes: vec![format!(":{}:", r.short_code)],
            unicodes: vec![r.unicode.to_owned()],
        }),
    );
}

/// "Adds or updates a reaction … for the user whose identity is used to make the request."
/// A new value replaces the caller's reaction (one per user per comment), so
/// ReactionLimitExceededException never arises. A member that is absent (or JSON null, which
/// AWS's front end cannot tell from absent) is ReactionValueRequired; blank or `none` removes.
/// Events: created for a first reaction, updated for a replaced one; none for a removal or
/// an unchanged value (AWS documents no removal event).
pub fn put_comment_reaction(ctx: &Ctx<'_>, input: PutCommentReactionInput) -> ApiResult<()> {
    let id = comment_id(&input.comment_id)?;
    let Some(value) = input.reaction_value.as_deref() else {
        bail!(ReactionValueRequired, "A reaction value is required.")
    };
    let Some(wanted) = parse(value) else {
        bail!(
            InvalidReactionValue,
            "The value of the reaction is not valid: {}. For more information, see the AWS CodeCommit User Guide.",
            validate::printable(value)
        )
    };
    let caller = ctx.caller_arn();
    let now = now_epoch();
    let (repository_id, comment_id, old) = ctx.state.store.write(|tx| {
        let c = find(ctx, tx, &id)?;
        if c.deleted {
            return Err(deleted_error());
        }
        let old = records::reaction_of(tx, c.key, &caller)?;
        let new = match wanted {
            Wanted::Remove => None,
            Wanted::Set(r) => Some(r.key),
        };
        if old.as_deref() != new {
            records::set_reaction(tx, c.key, &caller, new, now)?;
        }
        let g = group_of(tx, &c)?;
        Ok((g.id.repository_id, c.comment_id, old))
    })?;
    if let Wanted::Set(r) = wanted
        && old.as_deref() != Some(r.key)
    {
        let kind = if old.is_none() {
            ChangeKind::Created
        } else {
            ChangeKind::Updated
        };
        event(ctx, kind, &repository_id, &comment_id, r);
    }
    Ok(())
}

/// "The default is the same as the allowed maximum, 1,000"; a page counts reaction groups.
const REACTIONS_PAGE: usize = 1000;

/// Groups in the table's order, each with its users (oldest reaction first).
/// `reactionsFromDeletedUsersCount` is 0: the emulator deletes no identities.
pub fn get_comment_reactions(
    ctx: &Ctx<'_>,
    input: GetCommentReactionsInput,
) -> ApiResult<GetCommentReactionsOutput> {
    let id = comment_id(&input.comment_id)?;
    let user = validate::present(&input.reaction_user_arn);
    if let Some(arn) = user
        && crate::identity::arn_account(arn).is_none()
    {
        bail!(
            InvalidReactionUserArn,
            "The Amazon Resource Name (ARN) of the user or identity is not valid: {}. Make sure that you have provided the full ARN, and then try again.",
            validate::printable(arn)
        )
    }
    let limit = paginate::page_size(input.max_results, REACTIONS_PAGE, REACTIONS_PAGE)?;
    let kind = format!(
        "comment-reactions/{}/{}/{id}/{}",
        ctx.account,
        ctx.region,
        user.unwrap_or("")
    );
    let start = paginate::decode_index(&kind, &input.next_token)?;
    let all = ctx.state.store.read(|conn| {
        let c = find(ctx, conn, &id)?;
        if c.deleted {
            return Err(deleted_error());
        }
        records::reactions(conn, c.key)
    })?;
    let mut users: Vec<Vec<String>> = vec![Vec::new(); REACTIONS.len()];
    for (arn, key) in all {
        if user.is_some_and(|u| u != arn) {
            continue;
        }
        if let Some((i, _)) = by_key(&key) {
            users[i].push(arn);
        }
    }
    let mut groups = Vec::new();
    let mut next_token = None;
    for (i, arns) in users.into_iter().enumerate().skip(start) {
        if arns.is_empty() {
            continue;
        }
        if groups.len() == limit {
            next_token = Some(paginate::encode(&kind, &i.to_string()));
            break;
        }
        let r = &REACTIONS[i];
        groups.push(ReactionForComment {
            reaction: Some(ReactionValueFormats {
                emoji: Some(r.emoji.to_owned()),
                short_code: Some(r.short_code.to_owned()),
                unicode: Some(r.unicode.to_owned()),
            }),
            reaction_users: Some(arns),
            reactions_from_deleted_users_count: Some(0),
        });
    }
    Ok(GetCommentReactionsOutput {
        reactions_for_comment: Some(groups),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: &str) -> Option<&'static str> {
        match parse(v) {
            Some(Wanted::Set(r)) => Some(r.key),
            _ => None,
        }
    }

    #[test]
    fn every_row_in_every_notation() {
        for r in REACTIONS {
            assert_eq!(key(r.emoji), Some(r.key));
            assert_eq!(key(&r.emoji.replace(VARIATION_SELECTOR, "")), Some(r.key));
            assert_eq!(
                key(&format!("{}{VARIATION_SELECTOR}", r.emoji)),
                Some(r.key)
            );
            assert_eq!(key(r.short_code), Some(r.key));
            assert_eq!(key(&format!(":{}:", r.short_code)), Some(r.key));
            assert_eq!(
                key(&format!(":{}:", r.short_code.to_uppercase())),
                Some(r.key)
            );
            assert_eq!(key(r.unicode), Some(r.key));
            assert_eq!(key(&r.unicode.to_lowercase()), Some(r.key));
        }
        assert_eq!(key("U+2764 U+FE0F"), Some("HEART"));
        assert_eq!(key("\u{2764}"), Some("HEART"));
    }

    #[test]
    fn removal_and_invalid_values() {
        for v in ["", " ", "none", "NONE", ":none:"] {
            assert_eq!(parse(v), Some(Wanted::Remove), "{v:?}");
        }
        for v in [":thumbsup", "thumbs up", "U+1F44C", "👌", "+1"] {
            assert_eq!(parse(v), None, "{v:?}");
        }
    }

    #[test]
    fn keys_are_unique_upper_case_short_codes() {
        for (i, r) in REACTIONS.iter().enumerate() {
            assert_eq!(r.key, r.short_code.to_uppercase());
            assert!(REACTIONS[i + 1..].iter().all(|o| o.key != r.key));
        }
    }
}
