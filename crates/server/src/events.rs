//! Ref-change events: one per ref that a push or an API write really moved. Later features
//! (pull-request revisions, triggers, EventBridge) subscribe here; for now they are logged and
//! broadcast to whoever listens (the integration tests do).

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    pub account: String,
    pub region: String,
    pub repository_id: String,
    pub repository_name: String,
    /// Full ref name, e.g. `refs/heads/main`.
    pub ref_name: String,
    /// `None` when the ref was created.
    pub old: Option<String>,
    /// `None` when the ref was deleted.
    pub new: Option<String>,
}

impl RefChange {
    pub fn kind(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, _) => "created",
            (_, None) => "deleted",
            _ => "updated",
        }
    }
}

pub struct Events {
    tx: broadcast::Sender<RefChange>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            tx: broadcast::channel(4096).0,
        }
    }
}

impl Events {
    pub fn subscribe(&self) -> broadcast::Receiver<RefChange> {
        self.tx.subscribe()
    }

    pub fn publish(&self, change: RefChange) {
        tracing::info!(
            target: "codecommit_local::events",
            account = %change.account,
            region = %change.region,
            repository = %change.repository_name,
            r#ref = %change.ref_name,
            kind = change.kind(),
            old = change.old.as_deref().unwrap_or("-"),
            new = change.new.as_deref().unwrap_or("-"),
            "ref changed"
        );
        // No subscribers is normal.
        let _ = self.tx.send(change);
    }
}

/// Parses the "old new ref" lines git hands to post-receive; all-zero ids mean absent.
pub fn parse_post_receive(text: &str) -> Vec<(Option<String>, Option<String>, String)> {
    let absent = |id: &str| {
        if id.bytes().all(|b| b == b'0') {
            None
        } else {
            Some(id.to_owned())
        }
    };
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let (old, new, name) = (parts.next()?, parts.next()?, parts.next()?);
            Some((absent(old), absent(new), name.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hook_input() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let text = format!("{z} {a} refs/heads/main\n{a} {z} refs/tags/v1\n");
        let parsed = parse_post_receive(&text);
        assert_eq!(
            parsed[0],
            (None, Some(a.clone()), "refs/heads/main".to_string())
        );
        assert_eq!(parsed[1], (Some(a), None, "refs/tags/v1".to_string()));
    }
}
