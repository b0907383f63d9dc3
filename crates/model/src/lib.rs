//! Wire types of the CodeCommit API (awsJson1.1), generated from `model/` by the `codegen`
//! program, plus the one hand-written type they need: [`Blob`] (base64 on the wire).

mod blob;
pub mod generated;

pub use blob::Blob;
pub use generated::errors::ErrorCode;
pub use generated::operations::{Operation, TARGET_PREFIX};
pub use generated::shapes;
