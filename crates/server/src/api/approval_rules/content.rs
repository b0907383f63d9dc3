//! Approval rule content (codecommit-facts.md §3 "Approval rules"; facts-9-10 §3.1): the JSON
//! grammar, checked strictly and stored verbatim, and the two forms evaluation reads without
//! parsing JSON again:
//!
//! * `requirements`: one line per statement, `NEEDED` then a tab before each pool member
//!   (`2\tarn:aws:sts::…:assumed-role/Reviewers/*\tCodeCommitApprovers:…:alice`); a line with no
//!   members means "anyone but the author";
//! * `destinations` (templates): the `DestinationReferences`, one per line; `None` when the
//!   template applies to every branch.
//!
//! ```text
//! {"Version": "2018-11-08",
//!  "DestinationReferences": ["refs/heads/main", "refs/heads/release/*"],   // templates
//!  "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 2,
//!                  "ApprovalPoolMembers": ["arn:aws:sts::123456789012:assumed-role/Review/*",
//!                                          "CodeCommitApprovers:123456789012:Mary_Major"]}]}
//! ```

use super::pool::glob;
use crate::api::validate;
use serde_json::{Map, Value};

/// `approvalRuleContent` / `approvalRuleTemplateContent`: at most 3,000 characters (model).
pub const MAX_CONTENT_CHARS: usize = 3000;
/// Approvers in one approval pool (codecommit-facts.md §1).
pub const MAX_POOL_MEMBERS: usize = 50;
/// Destination references of one template (codecommit-facts.md §1).
pub const MAX_DESTINATION_REFERENCES: usize = 100;
/// The only grammar version AWS documents.
pub const VERSION: &str = "2018-11-08";
/// `NumberOfApprovalsNeeded` above this can never be met: a pull request takes at most 200
/// approvals (AWS documents no range; 1..=200 is our rule).
pub const MAX_APPROVALS_NEEDED: u64 = 200;

/// One `Approvers` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub needed: u32,
    /// Empty: anyone (but the author) may approve.
    pub pool: Vec<String>,
}

/// Content that passed the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub statements: Vec<Statement>,
    /// `DestinationReferences`, when present and not empty.
    pub destinations: Option<Vec<String>>,
}

impl Parsed {
    pub fn requirements(&self) -> String {
        encode_requirements(&self.statements)
    }

    pub fn destinations_column(&self) -> Option<String> {
        self.destinations.as_ref().map(|d| d.join("\n"))
    }
}

/// Checks `content` against the grammar; the error says what is wrong with it.
/// Rules and templates share the grammar: a rule made from a template carries the template's
/// content verbatim, branch filters included, so a rule may have them too (they mean nothing
/// there).
pub fn parse(content: &str) -> Result<Parsed, String> {
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(format!(
            "The content is longer than {MAX_CONTENT_CHARS} characters."
        ));
    }
    let value: Value = serde_json::from_str(content)
        .map_err(|e| format!("The content is not valid JSON: {e}."))?;
    let Value::Object(top) = value else {
        return Err("The content must be a JSON object.".into());
    };
    for key in top.keys() {
        if !matches!(
            key.as_str(),
            "Version" | "Statements" | "DestinationReferences"
        ) {
            return Err(format!(
                "Unknown member {}: the content has Version, Statements and (for templates) DestinationReferences.",
                validate::printable(key)
            ));
        }
    }
    match top.get("Version") {
        Some(Value::String(v)) if v == VERSION => {}
        Some(_) => return Err(format!("Version must be \"{VERSION}\".")),
        None => return Err(format!("Version is required (\"{VERSION}\").")),
    }
    let statements = match top.get("Statements") {
        Some(Value::Array(s)) if !s.is_empty() => s,
        Some(Value::Array(_)) => return Err("Statements cannot be empty.".into()),
        Some(_) => return Err("Statements must be an array of statements.".into()),
        None => return Err("Statements is required.".into()),
    };
    let statements = statements
        .iter()
        .map(statement)
        .collect::<Result<Vec<_>, _>>()?;
    let destinations = match top.get("DestinationReferences") {
        None => None,
        Some(v) => destinations(v)?,
    };
    Ok(Parsed {
        statements,
        destinations,
    })
}

fn statement(v: &Value) -> Result<Statement, String> {
    let Value::Object(s) = v else {
        return Err("Each statement must be a JSON object.".into());
    };
    for key in s.keys() {
        if !matches!(
            key.as_str(),
            "Type" | "NumberOfApprovalsNeeded" | "ApprovalPoolMembers"
        ) {
            return Err(format!(
                "Unknown statement member {}: a statement has Type, NumberOfApprovalsNeeded and ApprovalPoolMembers.",
                validate::printable(key)
            ));
        }
    }
    match s.get("Type") {
        Some(Value::String(t)) if t == "Approvers" => {}
        _ => return Err("A statement's Type must be \"Approvers\".".into()),
    }
    let needed = needed(s)?;
    let pool = match s.get("ApprovalPoolMembers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(members)) => {
            if members.len() > MAX_POOL_MEMBERS {
                return Err(format!(
                    "An approval pool has at most {MAX_POOL_MEMBERS} members; this one has {}.",
                    members.len()
                ));
            }
            members
                .iter()
                .map(|m| match m {
                    Value::String(m) if is_valid_pool_member(m) => Ok(m.clone()),
                    Value::String(m) => Err(format!(
                        "{} is not an approval pool member: use a full IAM or STS ARN (wildcards allowed) or CodeCommitApprovers:ACCOUNT:NAME.",
                        validate::printable(m)
                    )),
                    _ => Err("ApprovalPoolMembers must be strings.".into()),
                })
                .collect::<Result<_, _>>()?
        }
        Some(_) => return Err("ApprovalPoolMembers must be an array of strings.".into()),
    };
    Ok(Statement { needed, pool })
}

fn needed(s: &Map<String, Value>) -> Result<u32, String> {
    match s.get("NumberOfApprovalsNeeded") {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) if (1..=MAX_APPROVALS_NEEDED).contains(&n) => Ok(n as u32),
            _ => Err(format!(
                "NumberOfApprovalsNeeded must be a whole number from 1 to {MAX_APPROVALS_NEEDED}."
            )),
        },
        Some(_) => Err("NumberOfApprovalsNeeded must be a number.".into()),
        None => Err("A statement needs NumberOfApprovalsNeeded.".into()),
    }
}

fn destinations(v: &Value) -> Result<Option<Vec<String>>, String> {
    let Value::Array(refs) = v else {
        return Err("DestinationReferences must be an array of branch references.".into());
    };
    if refs.len() > MAX_DESTINATION_REFERENCES {
        return Err(format!(
            "A template has at most {MAX_DESTINATION_REFERENCES} destination references; this one has {}.",
            refs.len()
        ));
    }
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let Value::String(r) = r else {
            return Err("DestinationReferences must be strings.".into());
        };
        if !is_valid_destination(r) {
            return Err(format!(
                "{} is not a destination reference: use a branch (refs/heads/NAME) where a wildcard (*) may stand for any characters except at the start of the branch name.",
                validate::printable(r)
            ));
        }
        out.push(r.clone());
    }
    Ok((!out.is_empty()).then_some(out))
}

/// `refs/heads/NAME` or a bare branch `NAME`, where `*` may stand for any characters except
/// at the start of the branch name ("you cannot use a wildcard at the beginning of a branch
/// name", approval-rule-templates).
fn is_valid_destination(r: &str) -> bool {
    let branch = r.strip_prefix("refs/heads/").unwrap_or(r);
    if branch.starts_with('*') || r.contains('\n') {
        return false;
    }
    // With the wildcards filled in it must be a branch name git accepts.
    validate::is_valid_branch_name(&branch.replace('*', "x"))
}

/// A pool member: `CodeCommitApprovers:ACCOUNT:NAME` or a full IAM/STS ARN of one account
/// (facts-9-10 §3.2). Wildcards are checked when matching.
pub fn is_valid_pool_member(m: &str) -> bool {
    if m.chars().any(char::is_control) {
        return false;
    }
    if let Some(rest) = m.strip_prefix("CodeCommitApprovers:") {
        return match rest.split_once(':') {
            Some((account, name)) => crate::identity::is_account_id(account) && !name.is_empty(),
            None => false,
        };
    }
    // arn:PARTITION:iam|sts::ACCOUNT:RESOURCE, where the service may be a wildcard too.
    let parts: Vec<&str> = m.splitn(6, ':').collect();
    matches!(parts.as_slice(), [arn, partition, service, region, account, resource]
        if *arn == "arn"
            && partition.starts_with("aws")
            && (glob(service, "iam") || glob(service, "sts"))
            && region.is_empty()
            && crate::identity::is_account_id(account)
            && !resource.is_empty())
}

/// Whether a template with these `destinations` applies to a pull request into
/// `destination_ref` (`refs/heads/NAME`): no filters, or one matching the branch.
pub fn destination_matches(destinations: Option<&str>, destination_ref: &str) -> bool {
    let Some(list) = destinations else {
        return true;
    };
    let branch = destination_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(destination_ref);
    list.lines()
        .any(|pattern| match pattern.strip_prefix("refs/") {
            Some(_) => glob(pattern, destination_ref),
            None => glob(pattern, branch),
        })
}

pub fn encode_requirements(statements: &[Statement]) -> String {
    let mut out = String::new();
    for (i, s) in statements.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&s.needed.to_string());
        for m in &s.pool {
            out.push('\t');
            out.push_str(m);
        }
    }
    out
}

/// The statements of a `requirements` column (written by [`encode_requirements`]).
pub fn decode_requirements(s: &str) -> Vec<Statement> {
    s.lines()
        .map(|line| {
            let mut parts = line.split('\t');
            let needed = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
            Statement {
                needed,
                pool: parts.map(str::to_owned).collect(),
            }
        })
        .collect()
}

/// `ruleContentSha256`: the lowercase hex SHA-256 of the exact content string, as the
/// examples show a template and the rule made from it with the same value.
pub fn sha256_hex(content: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(content.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 2, "ApprovalPoolMembers": ["arn:aws:sts::123456789012:assumed-role/CodeCommitReview/*", "CodeCommitApprovers:123456789012:Mary_Major"]}]}"#;

    #[test]
    fn the_documented_examples_parse() {
        let p = parse(RULE).unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].needed, 2);
        assert_eq!(p.statements[0].pool.len(), 2);
        assert_eq!(p.destinations, None);
        let t = r#"{"Version":"2018-11-08","DestinationReferences":["refs/heads/master"],"Statements":[{"Type":"Approvers","NumberOfApprovalsNeeded":1}]}"#;
        let p = parse(t).unwrap();
        assert_eq!(p.destinations, Some(vec!["refs/heads/master".to_owned()]));
        assert!(p.statements[0].pool.is_empty());
        assert_eq!(decode_requirements(&p.requirements()), p.statements);
        let again = parse(RULE).unwrap();
        assert_eq!(decode_requirements(&again.requirements()), again.statements);
    }

    #[test]
    fn everything_else_is_refused() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1}]}"#,
            r#"{"Version": "2019-01-01", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1}]}"#,
            r#"{"Version": "2018-11-08", "Statements": []}"#,
            r#"{"Version": "2018-11-08"}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Reviewers", "NumberOfApprovalsNeeded": 1}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 0}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1.5}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": "1"}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 201}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers"}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1, "ApprovalPoolMembers": ["alice"]}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1, "ApprovalPoolMembers": ["CodeCommitApprovers:12:alice"]}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1, "ApprovalPoolMembers": "CodeCommitApprovers:123456789012:alice"}]}"#,
            r#"{"Version": "2018-11-08", "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1, "Extra": true}]}"#,
            r#"{"Version": "2018-11-08", "Other": 1, "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1}]}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let long = format!(
            r#"{{"Version": "2018-11-08", "Statements": [{{"Type": "Approvers", "NumberOfApprovalsNeeded": 1}}]{}}}"#,
            " ".repeat(3000)
        );
        assert!(parse(&long).is_err());
        let pool: Vec<String> = (0..51)
            .map(|i| format!("\"CodeCommitApprovers:123456789012:u{i}\""))
            .collect();
        let big = format!(
            r#"{{"Version": "2018-11-08", "Statements": [{{"Type": "Approvers", "NumberOfApprovalsNeeded": 1, "ApprovalPoolMembers": [{}]}}]}}"#,
            pool.join(",")
        );
        assert!(parse(&big).is_err());
        let fifty = big.replacen("\"CodeCommitApprovers:123456789012:u0\",", "", 1);
        assert!(parse(&fifty).is_ok());
    }

    #[test]
    fn destination_references_of_templates() {
        let with = |refs: &str| {
            format!(
                r#"{{"Version":"2018-11-08","DestinationReferences":{refs},"Statements":[{{"Type":"Approvers","NumberOfApprovalsNeeded":1}}]}}"#
            )
        };
        for bad in [
            r#"["refs/heads/*main"]"#,
            r#"["refs/heads/*"]"#,
            r#"["*"]"#,
            r#"["refs/heads/a..b"]"#,
            r#""refs/heads/main""#,
            r#"[1]"#,
        ] {
            assert!(parse(&with(bad)).is_err(), "{bad}");
        }
        for good in [
            r#"["refs/heads/main"]"#,
            r#"["refs/heads/release/*", "refs/heads/hotfix-*-x"]"#,
            r#"["main"]"#,
            r#"[]"#,
        ] {
            assert!(parse(&with(good)).is_ok(), "{good}");
        }
        let many: Vec<String> = (0..101).map(|i| format!("\"refs/heads/b{i}\"")).collect();
        assert!(parse(&with(&format!("[{}]", many.join(",")))).is_err());
    }

    #[test]
    fn destinations_match_with_wildcards() {
        let d = Some("refs/heads/main\nrefs/heads/release/*\nhotfix-*");
        assert!(destination_matches(d, "refs/heads/main"));
        assert!(!destination_matches(d, "refs/heads/main2"));
        assert!(!destination_matches(d, "refs/heads/xmain"));
        assert!(destination_matches(d, "refs/heads/release/1.0"));
        assert!(destination_matches(d, "refs/heads/release/1/2"));
        assert!(!destination_matches(d, "refs/heads/release"));
        assert!(destination_matches(d, "refs/heads/hotfix-42"));
        assert!(destination_matches(None, "refs/heads/anything"));
    }

    #[test]
    fn sha256_is_lowercase_hex_of_the_exact_string() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(sha256_hex(RULE), sha256_hex(&format!("{RULE} ")));
    }
}
