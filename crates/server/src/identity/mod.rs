//! Who is calling: every request (API or git) acts as one [`Principal`] — an account and an
//! ARN — resolved from the access key it was signed with. Behaviour code asks `Ctx::caller`,
//! never parses keys itself.
//!
//! Resolution of an access key id, first match wins:
//! 1. temporary credentials our STS handed out (`AssumeRole`, `GetSessionToken`,
//!    `GetFederationToken`, see [`sts`]) act as the principal they were issued for
//!    (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, …);
//! 2. keys of the principals file (`--principals`, TOML or JSON) act as the ARN given there;
//! 3. a 12-digit key *is* an account id (the LocalStack convention) and acts as that account's
//!    root (`arn:aws:iam::ACCOUNT:root`);
//! 4. any other key, and unsigned requests, act as the default account's root.
//!
//! With `--auth verify`, [`verify`] checks signatures and git credentials against the secrets
//! kept with each key; with `--auth off` (the default) any signature is accepted.

pub mod sts;
pub mod verify;

use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use parking_lot::RwLock;
use rusqlite::params;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A caller: the account it acts in and the ARN CodeCommit reports for it (`authorArn`,
/// `approvalRule.lastModifiedUser`, trigger `userIdentityARN`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: String,
    pub arn: String,
    /// What STS GetCallerIdentity reports as `UserId`.
    pub user_id: String,
}

impl Principal {
    /// The root identity of an account.
    pub fn root(account: &str) -> Principal {
        Principal {
            account: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.to_owned(),
        }
    }

    /// A principal named by its ARN (`arn:aws:iam::ACCOUNT:user/NAME`,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, …); `None` if it is not an IAM or STS
    /// ARN with a 12-digit account.
    pub fn from_arn(arn: &str, user_id: Option<&str>) -> Option<Principal> {
        let account = arn_account(arn)?;
        let user_id = user_id
            .map(str::to_owned)
            .unwrap_or_else(|| derived_user_id(arn, account));
        Some(Principal {
            account: account.to_owned(),
            arn: arn.to_owned(),
            user_id,
        })
    }
}

/// The account of an `arn:aws:iam::ACCOUNT:…` or `arn:aws:sts::ACCOUNT:…` ARN.
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let ok = arn_ == "arn"
        && partition.starts_with("aws")
        && matches!(service, "iam" | "sts")
        && region.is_empty()
        && is_account_id(account)
        && !resource.is_empty();
    ok.then_some(account)
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A stable unique id in the style IAM gives (`AIDA…` for users, `AROA…` for roles), derived
/// from the ARN so the same principal always reports the same id.
fn derived_user_id(arn: &str, account: &str) -> String {
    let resource = arn.rsplit(':').next().unwrap_or("");
    if resource == "root" {
        return account.to_owned();
    }
    if let Some(name) = resource.strip_prefix("federated-user/") {
        return format!("{account}:{name}");
    }
    if let Some(rest) = resource.strip_prefix("assumed-role/")
        && let Some((role, session)) = rest.split_once('/')
    {
        return format!(
            "{}:{session}",
            unique_id("AROA", &format!("{account}:{role}"))
        );
    }
    unique_id("AIDA", arn)
}

/// `PREFIX` + 17 characters of IAM's unique-id alphabet, derived from `seed`.
pub fn unique_id(prefix: &str, seed: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // FNV-1a over the seed, stretched: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::from(prefix);
    for round in 0..17u64 {
        for b in seed.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push(ALPHABET[(h >> 59) as usize % ALPHABET.len()] as char);
    }
    out
}

/// The session tags CodeCommit puts into its EventBridge events when a caller's session has
/// them: `displayName` and `emailAddress` (facts §6, §8; User Guide, "Monitoring CodeCommit
/// events": "if that information is available").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionTags {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

impl SessionTags {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none() && self.email_address.is_none()
    }

    /// Adds the tags to an event's `detail`.
    pub fn put_into(&self, detail: &mut serde_json::Map<String, serde_json::Value>) {
        if let Some(v) = &self.display_name {
            detail.insert("displayName".into(), v.clone().into());
        }
        if let Some(v) = &self.email_address {
            detail.insert("emailAddress".into(), v.clone().into());
        }
    }
}

/// An access key of the principals file, or one our STS issued.
#[derive(Debug, Clone)]
pub struct Credential {
    pub access_key_id: String,
    /// Session tags CodeCommit copies into events (STS `Tags`, or the principals file).
    pub tags: SessionTags,
    /// The secret a verifying mode checks signatures against.
    pub secret_access_key: Option<String>,
    /// Temporary credentials carry a session token.
    pub session_token: Option<String>,
    /// Epoch seconds after which temporary credentials are expired.
    pub expiration: Option<f64>,
    pub principal: Arc<Principal>,
}

/// An IAM-style Git credential (`<user>-at-<account>` with a password).
#[derive(Debug, Clone)]
pub struct GitCredential {
    pub user_name: String,
    pub password: String,
    pub principal: Arc<Principal>,
}

/// The principals file: static keys and git credentials, as TOML or JSON.
///
/// ```toml
/// [[principals]]
/// access_key_id = "AKIAALICE"
/// secret_access_key = "alice-secret"
/// arn = "arn:aws:iam::111122223333:user/alice"
///
/// [[git_credentials]]
/// user_name = "alice-at-111122223333"
/// password = "alice-git-password"
/// arn = "arn:aws:iam::111122223333:user/alice"
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalsFile {
    #[serde(default)]
    pub principals: Vec<PrincipalEntry>,
    #[serde(default)]
    pub git_credentials: Vec<GitCredentialEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalEntry {
    pub access_key_id: String,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub arn: String,
    /// What GetCallerIdentity reports; derived from the ARN when absent.
    pub user_id: Option<String>,
    /// Put into events as a session's `displayName` / `emailAddress` tags would be.
    pub display_name: Option<String>,
    pub email_address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitCredentialEntry {
    pub user_name: String,
    pub password: String,
    pub arn: String,
}

impl PrincipalsFile {
    pub fn load(path: &Path) -> Result<PrincipalsFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the principals file {}: {e}", path.display()))?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{');
        let file: PrincipalsFile = if is_json {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            toml::from_str(&text).map_err(|e| e.to_string())
        }
        .map_err(|e| format!("the principals file {} is not valid: {e}", path.display()))?;
        for p in &file.principals {
            if arn_account(&p.arn).is_none() {
                return Err(format!(
                    "principals file: {} is not an IAM or STS ARN with a 12-digit account",
                    p.arn
                ));
            }
        }
        for g in &file.git_credentials {
            if arn_account(&g.arn).is_none() {
                return Err(format!(
                    "principals file: {} is not an IAM or STS ARN with a 12-digit account",
                    g.arn
                ));
            }
        }
        Ok(file)
    }
}

/// Everything the server knows about callers.
pub struct Identities {
    default_account: String,
    default_root: Arc<Principal>,
    /// Keys of the principals file.
    keys: HashMap<String, Credential>,
    /// Git credentials of the principals file, by user name.
    git_users: HashMap<String, GitCredential>,
    /// Temporary credentials our STS issued, by access key id (persisted in SQLite).
    sessions: RwLock<HashMap<String, Credential>>,
    /// Session tags by caller ARN, for events (which name their caller by ARN): those of the
    /// latest session issued for the ARN, or of its principals-file entry.
    tags_by_arn: RwLock<HashMap<String, SessionTags>>,
    /// Derived SigV4 signing keys (see `verify`).
    signing_keys: RwLock<HashMap<verify::SigningKeyId, ring::hmac::Key>>,
}

impl Identities {
    pub fn open(
        default_account: &str,
        file: Option<&PrincipalsFile>,
        store: &Store,
    ) -> ApiResult<Identities> {
        let mut keys = HashMap::new();
        let mut git_users = HashMap::new();
        if let Some(file) = file {
            for p in &file.principals {
                let Some(principal) = Principal::from_arn(&p.arn, p.user_id.as_deref()) else {
                    continue;
                };
                keys.insert(
                    p.access_key_id.clone(),
                    Credential {
                        access_key_id: p.access_key_id.clone(),
                        tags: SessionTags {
                            display_name: p.display_name.clone(),
                            email_address: p.email_address.clone(),
                        },
                        secret_access_key: p.secret_access_key.clone(),
                        session_token: p.session_token.clone(),
                        expiration: None,
                        principal: Arc::new(principal),
                    },
                );
            }
            for g in &file.git_credentials {
                let Some(principal) = Principal::from_arn(&g.arn, None) else {
                    continue;
                };
                git_users.insert(
                    g.user_name.clone(),
                    GitCredential {
                        user_name: g.user_name.clone(),
                        password: g.password.clone(),
                        principal: Arc::new(principal),
                    },
                );
            }
        }
        let sessions = load_sessions(store)?;
        let mut tags_by_arn = file_tags(&keys);
        // The latest session of an ARN decides its tags.
        let mut latest: Vec<&Credential> = sessions.values().collect();
        latest.sort_by(|a, b| {
            a.expiration
                .unwrap_or(0.0)
                .total_cmp(&b.expiration.unwrap_or(0.0))
        });
        for c in latest {
            note_tags(&mut tags_by_arn, c);
        }
        Ok(Identities {
            default_account: default_account.to_owned(),
            default_root: Arc::new(Principal::root(default_account)),
            keys,
            git_users,
            sessions: RwLock::new(sessions),
            tags_by_arn: RwLock::new(tags_by_arn),
            signing_keys: RwLock::new(HashMap::new()),
        })
    }

    /// The principal of a request signed with `access_key_id` (`None`: unsigned).
    pub fn resolve(&self, access_key_id: Option<&str>) -> Arc<Principal> {
        let Some(key) = access_key_id else {
            return self.default_root.clone();
        };
        if let Some(c) = self.sessions.read().get(key) {
            return c.principal.clone();
        }
        if let Some(c) = self.keys.get(key) {
            return c.principal.clone();
        }
        if is_account_id(key) && key != self.default_account {
            return Arc::new(Principal::root(key));
        }
        self.default_root.clone()
    }

    /// The credential known for an access key (principals file or STS), if any: what a
    /// verifying mode checks a signature against.
    pub fn credential(&self, access_key_id: &str) -> Option<Credential> {
        if let Some(c) = self.sessions.read().get(access_key_id) {
            return Some(c.clone());
        }
        self.keys.get(access_key_id).cloned()
    }

    /// The principal of a git request's HTTP Basic user name: an access key (optionally
    /// `KEY%TOKEN`, as git-remote-codecommit and the credential helper send it), or a Git
    /// credential user name `<user>-at-<account>`.
    pub fn resolve_git_user(&self, user: &str) -> Arc<Principal> {
        if let Some(g) = self.git_users.get(user) {
            return g.principal.clone();
        }
        if let Some((name, account)) = user.rsplit_once("-at-")
            && is_account_id(account)
            && !name.is_empty()
        {
            let arn = format!("arn:aws:iam::{account}:user/{name}");
            if let Some(p) = Principal::from_arn(&arn, None) {
                return Arc::new(p);
            }
        }
        let key = user.split('%').next().unwrap_or(user);
        self.resolve(Some(key))
    }

    /// The Git credential of a user name, if the principals file has one.
    pub fn git_credential(&self, user: &str) -> Option<&GitCredential> {
        self.git_users.get(user)
    }

    /// Records temporary credentials (durably, before they are handed out).
    pub fn add_session(&self, store: &Store, c: Credential) -> ApiResult<()> {
        store.write(|tx| {
            tx.execute(
                "INSERT INTO sts_sessions (access_key_id, secret_access_key, session_token,
                     account, arn, user_id, expiration, display_name, email_address)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    c.access_key_id,
                    c.secret_access_key,
                    c.session_token,
                    c.principal.account,
                    c.principal.arn,
                    c.principal.user_id,
                    c.expiration,
                    c.tags.display_name,
                    c.tags.email_address
                ],
            )?;
            Ok(())
        })?;
        note_tags(&mut self.tags_by_arn.write(), &c);
        self.sessions.write().insert(c.access_key_id.clone(), c);
        Ok(())
    }

    /// The session tags of a caller, by its ARN (`None`: it has none).
    pub fn tags_of(&self, arn: &str) -> Option<SessionTags> {
        let by_arn = self.tags_by_arn.read();
        if by_arn.is_empty() {
            return None;
        }
        by_arn.get(arn).cloned()
    }

    /// Forgets all temporary credentials (the `/reset` endpoint; the store is wiped apart).
    pub fn clear_sessions(&self) {
        self.sessions.write().clear();
        self.signing_keys.write().clear();
        // The principals file's tags stay; the sessions' go with them.
        *self.tags_by_arn.write() = file_tags(&self.keys);
    }
}

/// The tags of the principals file's keys, by ARN.
fn file_tags(keys: &HashMap<String, Credential>) -> HashMap<String, SessionTags> {
    keys.values()
        .filter(|c| !c.tags.is_empty())
        .map(|c| (c.principal.arn.clone(), c.tags.clone()))
        .collect()
}

/// A newer credential of an ARN decides its tags (none: the ARN has none now).
fn note_tags(by_arn: &mut HashMap<String, SessionTags>, c: &Credential) {
    if c.tags.is_empty() {
        by_arn.remove(&c.principal.arn);
    } else {
        by_arn.insert(c.principal.arn.clone(), c.tags.clone());
    }
}

/// Temporary credentials are kept a week past their expiry, so a late call with them still
/// acts in the right account; older ones are dropped at startup.
const SESSION_RETENTION_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

fn load_sessions(store: &Store) -> ApiResult<HashMap<String, Credential>> {
    let cutoff = crate::api::now_epoch() - SESSION_RETENTION_SECONDS;
    store.write(|tx| {
        tx.execute(
            "DELETE FROM sts_sessions WHERE expiration < ?1",
            params![cutoff],
        )?;
        let mut stmt = tx.prepare(
            "SELECT access_key_id, secret_access_key, session_token, account, arn, user_id,
                    expiration, display_name, email_address FROM sts_sessions",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Credential {
                access_key_id: row.get(0)?,
                secret_access_key: row.get(1)?,
                session_token: row.get(2)?,
                principal: Arc::new(Principal {
                    account: row.get(3)?,
                    arn: row.get(4)?,
                    user_id: row.get(5)?,
                }),
                expiration: row.get(6)?,
                tags: SessionTags {
                    display_name: row.get(7)?,
                    email_address: row.get(8)?,
                },
            })
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let c = row.map_err(ApiError::from)?;
            out.insert(c.access_key_id.clone(), c);
        }
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_account() {
        assert_eq!(
            arn_account("arn:aws:iam::111122223333:user/alice"),
            Some("111122223333")
        );
        assert_eq!(
            arn_account("arn:aws:sts::111122223333:assumed-role/R/s"),
            Some("111122223333")
        );
        assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_account("arn:aws:iam::1234:user/x"), None);
        assert_eq!(arn_account("arn:aws:iam::111122223333:"), None);
    }

    #[test]
    fn user_ids_follow_iam_conventions() {
        let p =
            Principal::from_arn("arn:aws:sts::111122223333:assumed-role/Dev/bob", None).unwrap();
        assert!(p.user_id.starts_with("AROA"));
        assert!(p.user_id.ends_with(":bob"));
        let again =
            Principal::from_arn("arn:aws:sts::111122223333:assumed-role/Dev/eve", None).unwrap();
        assert_eq!(
            p.user_id.split(':').next(),
            again.user_id.split(':').next(),
            "one role, one role id"
        );
        let f = Principal::from_arn("arn:aws:sts::111122223333:federated-user/fed", None).unwrap();
        assert_eq!(f.user_id, "111122223333:fed");
        let u = Principal::from_arn("arn:aws:iam::111122223333:user/alice", None).unwrap();
        assert!(u.user_id.starts_with("AIDA") && u.user_id.len() == 21);
        assert_eq!(Principal::root("111122223333").user_id, "111122223333");
    }

    #[test]
    fn principals_file_in_both_syntaxes() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("p.toml");
        std::fs::write(
            &toml_path,
            "[[principals]]\naccess_key_id = \"AK1\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:user/alice\"\n\n[[git_credentials]]\nuser_name = \"alice-at-111122223333\"\npassword = \"pw\"\narn = \"arn:aws:iam::111122223333:user/alice\"\n",
        )
        .unwrap();
        let f = PrincipalsFile::load(&toml_path).unwrap();
        assert_eq!(f.principals.len(), 1);
        assert_eq!(f.git_credentials.len(), 1);
        let json_path = dir.path().join("p.json");
        std::fs::write(
            &json_path,
            r#"{"principals":[{"access_key_id":"AK2","arn":"arn:aws:sts::111122223333:federated-user/f"}]}"#,
        )
        .unwrap();
        assert_eq!(
            PrincipalsFile::load(&json_path).unwrap().principals.len(),
            1
        );
        std::fs::write(
            &json_path,
            r#"{"principals":[{"access_key_id":"AK2","arn":"nope"}]}"#,
        )
        .unwrap();
        assert!(PrincipalsFile::load(&json_path).is_err());
    }
}
