//! Integration tests: a real server on 127.0.0.1:0 with its own temp data dir, driven through the
//! official `aws-sdk-codecommit` client and the `git` CLI. One test binary, a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod accounts;
mod approval_rules;
mod auth;
mod comments;
mod connections;
mod content_read;
mod content_write;
mod events;
mod git_https;
mod git_transport;
mod hostile_inputs;
mod identity;
mod logs;
mod maintenance;
mod merges;
mod persistence;
mod protocol;
mod pull_requests;
mod readme;
mod repositories;
mod tags;
