//! Behaviour, one module per API area. Every operation is a plain synchronous function
//! `(&Ctx, Input) -> ApiResult<Output>`; none of them sees HTTP.

pub mod paginate;
pub mod repositories;
pub mod tags;
pub mod validate;

use crate::state::AppState;

/// Who is calling, where, and the server they are talking to.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub account: String,
    pub region: String,
    pub request_id: String,
}

impl Ctx<'_> {
    /// The caller's ARN. Without IAM every caller is the account's root identity.
    pub fn caller_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account)
    }
}

/// Now, as the epoch seconds (with millisecond precision) AWS puts in timestamps.
pub fn now_epoch() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_millis() as f64) / 1000.0
}
