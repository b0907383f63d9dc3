//! The one error type behaviour code returns. A `Client` error is an AWS exception that goes to
//! the caller as `{"__type", "message"}`; an `Internal` error is logged with its cause and the
//! caller only sees a generic `InternalFailure` (HTTP 500).

use codecommit_model::ErrorCode;
use std::fmt;

#[derive(Debug)]
pub enum ApiError {
    Client { code: ErrorCode, message: String },
    Internal { context: String, cause: String },
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Client {
            code,
            message: message.into(),
        }
    }

    pub fn internal(context: impl Into<String>, cause: impl fmt::Display) -> Self {
        ApiError::Internal {
            context: context.into(),
            cause: cause.to_string(),
        }
    }

    /// The exception name a client sees.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Client { code, .. } => *code,
            ApiError::Internal { .. } => ErrorCode::InternalFailure,
        }
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        matches!(self, ApiError::Client { code: c, .. } if *c == code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Client { code, message } => write!(f, "{}: {message}", code.name()),
            ApiError::Internal { context, cause } => {
                write!(f, "internal error while {context}: {cause}")
            }
        }
    }
}

impl std::error::Error for ApiError {}

/// `err!(RepositoryDoesNotExist, "{name} does not exist")` builds a client error.
#[macro_export]
macro_rules! err {
    ($code:ident, $($fmt:tt)+) => {
        $crate::error::ApiError::client(codecommit_model::ErrorCode::$code, format!($($fmt)+))
    };
}

/// `bail!(Code, "...")` returns a client error from the current function.
#[macro_export]
macro_rules! bail {
    ($code:ident, $($fmt:tt)+) => {
        return Err($crate::err!($code, $($fmt)+))
    };
}

/// Turns any displayable failure into an internal error with a short description of what was
/// being done: `repo.find_commit(id).internal("reading commit")?`.
pub trait Internal<T> {
    fn internal(self, context: &str) -> ApiResult<T>;
}

impl<T, E: fmt::Display> Internal<T> for Result<T, E> {
    fn internal(self, context: &str) -> ApiResult<T> {
        self.map_err(|e| ApiError::internal(context, e))
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal("accessing the metadata store", e)
    }
}
