//! Who counts as an approver of a statement (facts-9-10 §3.2), and evaluation.
//!
//! A pool member is one of:
//! * a full IAM or STS ARN, `*` standing for any run of characters: it matches callers whose
//!   ARN it matches. An assumed-role ARN without a session (`…:assumed-role/Role`, the form
//!   the User Guide gives for services) and an IAM role ARN (`arn:aws:iam::A:role/Role`) stand
//!   for every session of that role;
//! * `CodeCommitApprovers:ACCOUNT:NAME`: callers of ACCOUNT whose *name* matches NAME (again
//!   with `*`). An IAM user's names are `user/PATH/NAME` and `NAME`; a federated user's
//!   `federated-user/NAME` and `NAME`; an assumed role's `assumed-role/ROLE/SESSION` and
//!   `ROLE/SESSION` — so `…:Mary_Major` matches the IAM and the federated user Mary_Major but
//!   not the session `CodeCommitReview/Mary_Major`, which `…:*Mary_Major` and
//!   `…:CodeCommitReview/Mary_Major` do match, as the User Guide spells out.
//!
//! Evaluation indexes the approvers of a revision once (sorted ARNs and sorted names), so a
//! pool member costs a binary search on its literal prefix plus the candidates it could
//! match, and each distinct member is matched once per evaluation however many rules name it.

use super::content::Statement;
use std::collections::HashMap;

/// `*` matches any run of characters (`/` included); everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` take one more character and try again from there.
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The names `CodeCommitApprovers:ACCOUNT:NAME` compares with, of a caller's ARN resource.
fn names(resource: &str) -> Vec<&str> {
    let mut out = vec![resource];
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        out.push(rest);
    } else if (resource.starts_with("user/") || resource.starts_with("federated-user/"))
        && let Some((_, name)) = resource.rsplit_once('/')
    {
        out.push(name);
    }
    out
}

/// `arn:PARTITION:SERVICE::ACCOUNT:RESOURCE` → (account, resource).
fn split_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, _, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some((account, resource))
}

/// An ARN pool member as the pattern it matches caller ARNs with.
fn arn_pattern(member: &str) -> String {
    if let Some((account, resource)) = split_arn(member) {
        let partition = member.split(':').nth(1).unwrap_or("aws");
        if let Some(role) = resource.strip_prefix("assumed-role/")
            && !role.contains('/')
        {
            return format!("{member}/*");
        }
        if member.split(':').nth(2) == Some("iam")
            && let Some(role) = resource.strip_prefix("role/")
        {
            let name = role.rsplit('/').next().unwrap_or(role);
            return format!("arn:{partition}:sts::{account}:assumed-role/{name}/*");
        }
    }
    member.to_owned()
}

type Bits = Vec<u64>;

/// The approvers of one revision, indexed for pool matching.
pub struct Approvers {
    n: usize,
    /// (ARN, approver) sorted by ARN.
    arns: Vec<(String, usize)>,
    /// ("ACCOUNT:NAME", approver) sorted, for `CodeCommitApprovers` members.
    names: Vec<(String, usize)>,
    matched: HashMap<String, Bits>,
}

impl Approvers {
    pub fn new(arns: &[String]) -> Approvers {
        let mut by_arn = Vec::with_capacity(arns.len());
        let mut by_name = Vec::with_capacity(arns.len() * 2);
        for (i, arn) in arns.iter().enumerate() {
            by_arn.push((arn.clone(), i));
            if let Some((account, resource)) = split_arn(arn) {
                for name in names(resource) {
                    by_name.push((format!("{account}:{name}"), i));
                }
            }
        }
        by_arn.sort_unstable();
        by_name.sort_unstable();
        Approvers {
            n: arns.len(),
            arns: by_arn,
            names: by_name,
            matched: HashMap::new(),
        }
    }

    /// Approvers matching one pool member.
    fn member(&mut self, member: &str) -> &Bits {
        if !self.matched.contains_key(member) {
            let mut bits = vec![0u64; self.n.div_ceil(64).max(1)];
            let (index, pattern) = match member.strip_prefix("CodeCommitApprovers:") {
                Some(rest) => (&self.names, rest.to_owned()),
                None => (&self.arns, arn_pattern(member)),
            };
            // Candidates share the literal prefix (a range of the sorted index) and end with
            // the literal suffix (a cheap test before the glob).
            let prefix = &pattern[..pattern.find('*').unwrap_or(pattern.len())];
            let suffix = &pattern[pattern.rfind('*').map_or(pattern.len(), |i| i + 1)..];
            let start = index.partition_point(|(k, _)| k.as_str() < prefix);
            for (key, i) in &index[start..] {
                if !key.starts_with(prefix) {
                    break;
                }
                if key.ends_with(suffix) && glob(&pattern, key) {
                    bits[i / 64] |= 1 << (i % 64);
                }
            }
            self.matched.insert(member.to_owned(), bits);
        }
        &self.matched[member]
    }

    /// How many approvers count for a statement: every approver without a pool (the author
    /// never approves), else those matching one of its members.
    pub fn count(&mut self, statement: &Statement) -> usize {
        if statement.pool.is_empty() {
            return self.n;
        }
        let mut union = vec![0u64; self.n.div_ceil(64).max(1)];
        for m in &statement.pool {
            for (u, b) in union.iter_mut().zip(self.member(m)) {
                *u |= *b;
            }
        }
        union.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether every statement of a rule has the approvals it needs.
    pub fn satisfies(&mut self, statements: &[Statement]) -> bool {
        statements
            .iter()
            .all(|s| self.count(s) >= s.needed as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "123456789012";

    fn arns(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn count(pool: &[&str], approvers: &[&str]) -> usize {
        let mut a = Approvers::new(&arns(approvers));
        a.count(&Statement {
            needed: 1,
            pool: arns(pool),
        })
    }

    #[test]
    fn globs() {
        assert!(glob("abc", "abc"));
        assert!(!glob("abc", "abcd"));
        assert!(glob("a*", "a"));
        assert!(glob("*Mary", "Role/Mary"));
        assert!(!glob("*Mary", "Role/Mary2"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(glob("a*b*c", "abcbc"));
        assert!(!glob("a*b*c", "acb"));
        assert!(glob("*", ""));
        assert!(glob("r/*/x", "r/a/b/x"));
    }

    #[test]
    fn code_commit_approvers_follow_the_user_guide() {
        let user = format!("arn:aws:iam::{A}:user/Mary_Major");
        let pathed = format!("arn:aws:iam::{A}:user/team/Mary_Major");
        let fed = format!("arn:aws:sts::{A}:federated-user/Mary_Major");
        let role = format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview/Mary_Major");
        let other = "arn:aws:iam::999999999999:user/Mary_Major".to_owned();
        let all = [
            user.as_str(),
            pathed.as_str(),
            fed.as_str(),
            role.as_str(),
            other.as_str(),
        ];
        let m = format!("CodeCommitApprovers:{A}:Mary_Major");
        assert_eq!(count(&[&m], &[&user]), 1);
        assert_eq!(count(&[&m], &[&pathed]), 1);
        assert_eq!(count(&[&m], &[&fed]), 1);
        assert_eq!(count(&[&m], &[&role]), 0);
        assert_eq!(count(&[&m], &[&other]), 0, "no cross-account approvals");
        assert_eq!(count(&[&m], &all), 3);
        let wild = format!("CodeCommitApprovers:{A}:*Mary_Major");
        assert_eq!(count(&[&wild], &all), 4);
        let explicit = format!("CodeCommitApprovers:{A}:CodeCommitReview/Mary_Major");
        assert_eq!(count(&[&explicit], &all), 1);
        let users = format!("CodeCommitApprovers:{A}:user/*");
        assert_eq!(count(&[&users], &all), 2);
    }

    #[test]
    fn arns_with_wildcards() {
        let s1 = format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview/Mary_Major");
        let s2 = format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview/Li_Juan");
        let s3 = format!("arn:aws:sts::{A}:assumed-role/Other/Li_Juan");
        let u = format!("arn:aws:iam::{A}:user/Li_Juan");
        let all = [s1.as_str(), s2.as_str(), s3.as_str(), u.as_str()];
        let sessions = format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview/*");
        assert_eq!(count(&[&sessions], &all), 2);
        let no_session = format!("arn:aws:sts::{A}:assumed-role/CodeCommitReview");
        assert_eq!(count(&[&no_session], &all), 2);
        let iam_role = format!("arn:aws:iam::{A}:role/team/CodeCommitReview");
        assert_eq!(count(&[&iam_role], &all), 2);
        assert_eq!(count(&[&u], &all), 1);
        let anyone = format!("arn:aws:*::{A}:*");
        assert_eq!(count(&[&anyone], &all), 4);
        assert_eq!(count(&["arn:aws:*Li_Juan"], &all), 3);
        // One approver matched by two members counts once.
        assert_eq!(count(&[&sessions, &no_session, &s1], &all), 2);
    }

    #[test]
    fn statements_need_their_number() {
        let approvers = arns(&[
            &format!("arn:aws:iam::{A}:user/a"),
            &format!("arn:aws:iam::{A}:user/b"),
        ]);
        let mut a = Approvers::new(&approvers);
        let anyone = |n| Statement {
            needed: n,
            pool: Vec::new(),
        };
        assert!(a.satisfies(&[anyone(2)]));
        assert!(!a.satisfies(&[anyone(3)]));
        let only_a = Statement {
            needed: 1,
            pool: vec![format!("CodeCommitApprovers:{A}:a")],
        };
        assert!(a.satisfies(&[anyone(1), only_a.clone()]));
        let mut none = Approvers::new(&[]);
        assert!(!none.satisfies(&[only_a]));
        assert!(!none.satisfies(&[anyone(1)]));
    }
}
