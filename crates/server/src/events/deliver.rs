//! The deliverer: a background task that sends the outbox's pending rows through the official
//! AWS SDK clients (SNS `Publish`, Lambda `Invoke` with `InvocationType=Event`, EventBridge
//! `PutEvents`) to the configured endpoint, and posts webhook events. It never runs on a
//! request's path: pushes and API calls only write rows, so a slow or dead endpoint slows
//! nobody. TestRepositoryTriggers is the one caller that waits for a delivery (that is what it
//! is for).

use super::outbox::{Batch, Failure, Outcome, Pending, Target};
use crate::activity::QUIET;
use crate::config::DeliveryConfig;
use crate::state::AppState;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// SDK clients by service and region, made on first use (building one costs TLS setup).
#[derive(Default)]
struct Clients {
    sns: HashMap<String, aws_sdk_sns::Client>,
    lambda: HashMap<String, aws_sdk_lambda::Client>,
    eventbridge: HashMap<String, aws_sdk_eventbridge::Client>,
}

type HttpsConnector = hyper_rustls::HttpsConnector<HttpConnector>;

enum WebhookHttp {
    Https(HttpClient<HttpsConnector, Full<Bytes>>),
    Http(HttpClient<HttpConnector, Full<Bytes>>),
}

pub struct Deliverer {
    config: DeliveryConfig,
    clients: Mutex<Clients>,
    webhook_http: OnceLock<WebhookHttp>,
    /// The SNS endpoint answered PublishBatch as an unknown action: Publish only.
    no_publish_batch: AtomicBool,
}

/// The most that one SNS PublishBatch may carry, all its messages together.
const PUBLISH_BATCH_BYTES: usize = 256 * 1024;

/// The shared parts of every SDK client's configuration: the credentials, no SDK retries
/// (the outbox retries, with its own backoff and order), and the timeouts.
macro_rules! sdk_client {
    ($sdk:ident, $config:expr, $endpoint:expr, $region:expr) => {{
        let c: &DeliveryConfig = $config;
        let conf = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new($region.to_owned()))
            .endpoint_url($endpoint)
            .credentials_provider($sdk::config::Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.clone(),
                None,
                None,
                "codecommit-local",
            ))
            .retry_config($sdk::config::retry::RetryConfig::disabled())
            .timeout_config(
                $sdk::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(c.timeout)
                    .connect_timeout(c.timeout)
                    .read_timeout(c.timeout)
                    .build(),
            )
            .build();
        $sdk::Client::from_conf(conf)
    }};
}

impl Deliverer {
    pub fn new(config: DeliveryConfig) -> Deliverer {
        Deliverer {
            config,
            clients: Mutex::new(Clients::default()),
            webhook_http: OnceLock::new(),
            no_publish_batch: AtomicBool::new(false),
        }
    }

    fn sns(&self, region: &str) -> Option<aws_sdk_sns::Client> {
        let endpoint = self.config.sns_endpoint.as_deref()?;
        let mut clients = self.clients.lock();
        Some(
            clients
                .sns
                .entry(region.to_owned())
                .or_insert_with(|| sdk_client!(aws_sdk_sns, &self.config, endpoint, region))
                .clone(),
        )
    }

    fn lambda(&self, region: &str) -> Option<aws_sdk_lambda::Client> {
        let endpoint = self.config.lambda_endpoint.as_deref()?;
        let mut clients = self.clients.lock();
        Some(
            clients
                .lambda
                .entry(region.to_owned())
                .or_insert_with(|| sdk_client!(aws_sdk_lambda, &self.config, endpoint, region))
                .clone(),
        )
    }

    fn eventbridge(&self, region: &str) -> Option<aws_sdk_eventbridge::Client> {
        let endpoint = self.config.eventbridge_endpoint.as_deref()?;
        let mut clients = self.clients.lock();
        Some(
            clients
                .eventbridge
                .entry(region.to_owned())
                .or_insert_with(|| sdk_client!(aws_sdk_eventbridge, &self.config, endpoint, region))
                .clone(),
        )
    }

    fn webhook_http(&self) -> &WebhookHttp {
        self.webhook_http.get_or_init(|| {
            let http = || HttpClient::builder(TokioExecutor::new()).build(HttpConnector::new());
            // The provider is named: more than one is compiled in (the SDKs bring their own), so
            // rustls has no process default to fall back on.
            match hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            {
                Ok(b) => WebhookHttp::Https(
                    HttpClient::builder(TokioExecutor::new())
                        .build(b.https_or_http().enable_http1().build()),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "no TLS root certificates: the webhook can only be plain http");
                    WebhookHttp::Http(http())
                }
            }
        })
    }

    /// Sends one batch (consecutive rows of one stream).
    pub async fn deliver(&self, batch: &Batch) -> Outcome {
        let Some(first) = batch.rows.first() else {
            return Outcome {
                delivered: 0,
                failure: None,
            };
        };
        let one = outcome_of_one;
        match batch.target() {
            Target::Sns if batch.rows.len() > 1 => self.publish_rows(batch).await,
            Target::Sns => one(self.publish_row(first).await),
            Target::Lambda => one(self.invoke(&first.destination, &first.payload).await),
            Target::Webhook => one(self.post_webhook(&first.payload).await),
            Target::EventBridge => {
                let payloads: Vec<&str> = batch.rows.iter().map(|r| &*r.payload).collect();
                self.put_events(&first.region, &payloads).await
            }
        }
    }

    /// SNS Publish of one outbox row (a trigger record) to its topic.
    async fn publish_row(&self, row: &Pending) -> Result<(), Failure> {
        let subject =
            super::triggers::sns_subject(&row.region, row.repository_name.as_deref().unwrap_or(""));
        self.publish(&row.region, &row.destination, &subject, &row.payload)
            .await
    }

    /// Consecutive trigger records for one topic in one SNS PublishBatch call: when writes
    /// come faster than they are delivered, one call instead of up to ten (each subscriber
    /// still gets one notification per record, as from Publish). The rows that fit in
    /// PublishBatch's 256 KiB are sent; the rest stay queued. An endpoint that does not know
    /// PublishBatch, or refuses the whole call, gets the first row by Publish (which reports
    /// that row's own error); after an unknown-action answer it only gets Publish.
    async fn publish_rows(&self, batch: &Batch) -> Outcome {
        let rows = &batch.rows;
        let Some(first) = rows.first() else {
            return Outcome {
                delivered: 0,
                failure: None,
            };
        };
        let single = outcome_of_one;
        if self.no_publish_batch.load(Ordering::Relaxed) {
            return single(self.publish_row(first).await);
        }
        let Some(client) = self.sns(&first.region) else {
            return single(Err(no_endpoint()));
        };
        let mut entries = Vec::with_capacity(rows.len());
        let mut size = 0usize;
        for (i, row) in rows.iter().enumerate() {
            let subject = super::triggers::sns_subject(
                &row.region,
                row.repository_name.as_deref().unwrap_or(""),
            );
            size += row.payload.len() + subject.len();
            if i > 0 && size > PUBLISH_BATCH_BYTES {
                break;
            }
            let entry = aws_sdk_sns::types::PublishBatchRequestEntry::builder()
                .id(i.to_string())
                .subject(subject)
                .message(&*row.payload)
                .build();
            match entry {
                Ok(e) => entries.push(e),
                Err(_) => break,
            }
        }
        if entries.len() < 2 {
            return single(self.publish_row(first).await);
        }
        let sent = entries.len();
        let answer = client
            .publish_batch()
            .topic_arn(&*first.destination)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(e) => {
                let failure = sdk_failure(&e);
                if failure.retryable {
                    return Outcome {
                        delivered: 0,
                        failure: Some(failure),
                    };
                }
                if unknown_action(&e) {
                    tracing::info!(
                        error = %failure.message,
                        "the SNS endpoint does not take PublishBatch: publishing one message per call"
                    );
                    self.no_publish_batch.store(true, Ordering::Relaxed);
                }
                return single(self.publish_row(first).await);
            }
        };
        // Entries are reported by id, in no promised order: what counts is the first one,
        // in the outbox's order, that was not published.
        let failed = out
            .failed()
            .iter()
            .filter_map(|f| f.id().parse::<usize>().ok().map(|i| (i, f)))
            .min_by_key(|(i, _)| *i);
        let published = |i: usize| {
            out.successful()
                .iter()
                .any(|s| s.id() == Some(&i.to_string()))
        };
        let delivered = (0..sent).take_while(|&i| published(i)).count();
        match failed {
            Some((i, f)) if i == delivered => Outcome {
                delivered,
                failure: Some(Failure {
                    message: match f.message() {
                        Some(m) if !m.is_empty() => format!("{}: {m}", f.code()),
                        _ => f.code().to_owned(),
                    },
                    retryable: !f.sender_fault(),
                }),
            },
            _ if delivered == sent => Outcome {
                delivered,
                failure: None,
            },
            // An entry the answer says nothing about: tried again, after the backoff.
            _ => Outcome {
                delivered,
                failure: Some(Failure {
                    message: format!("PublishBatch answered nothing for entry {delivered}"),
                    retryable: true,
                }),
            },
        }
    }

    /// SNS Publish of a trigger record to a topic.
    pub async fn publish(
        &self,
        region: &str,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), Failure> {
        let client = self.sns(region).ok_or_else(no_endpoint)?;
        client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_failure(&e))
    }

    /// Lambda Invoke (asynchronous, `InvocationType=Event`) with a trigger record. The region
    /// is the function ARN's.
    pub async fn invoke(&self, function_arn: &str, payload: &str) -> Result<(), Failure> {
        let region = function_arn.split(':').nth(3).unwrap_or("us-east-1");
        let client = self.lambda(region).ok_or_else(no_endpoint)?;
        let out = client
            .invoke()
            .function_name(function_arn)
            .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
            .payload(aws_sdk_lambda::primitives::Blob::new(payload.as_bytes()))
            .send()
            .await
            .map_err(|e| sdk_failure(&e))?;
        match out.function_error() {
            Some(err) => Err(Failure {
                message: format!("the function failed: {err}"),
                retryable: false,
            }),
            None => Ok(()),
        }
    }

    /// EventBridge PutEvents of up to 10 events (the envelopes the outbox holds) on the
    /// account's default bus. Entries are answered in order; the first one that failed, and
    /// everything after it, is retried.
    async fn put_events(&self, region: &str, envelopes: &[&str]) -> Outcome {
        let Some(client) = self.eventbridge(region) else {
            return Outcome {
                delivered: 0,
                failure: Some(no_endpoint()),
            };
        };
        let mut request = client.put_events();
        for envelope in envelopes {
            request = request.entries(entry(envelope));
        }
        match request.send().await {
            Err(e) => Outcome {
                delivered: 0,
                failure: Some(sdk_failure(&e)),
            },
            Ok(out) => {
                let failed = out
                    .entries()
                    .iter()
                    .position(|e| e.error_code().is_some_and(|c| !c.is_empty()));
                match failed {
                    None if out.failed_entry_count() == 0 => Outcome {
                        delivered: envelopes.len(),
                        failure: None,
                    },
                    None => Outcome {
                        delivered: 0,
                        failure: Some(Failure {
                            message: format!(
                                "PutEvents failed {} entries",
                                out.failed_entry_count()
                            ),
                            retryable: true,
                        }),
                    },
                    Some(i) => {
                        let e = &out.entries()[i];
                        let code = e.error_code().unwrap_or_default();
                        Outcome {
                            delivered: i,
                            failure: Some(Failure {
                                message: format!(
                                    "{code}: {}",
                                    e.error_message().unwrap_or_default()
                                ),
                                retryable: code == "ThrottlingException"
                                    || code == "InternalFailure"
                                    || code == "InternalException",
                            }),
                        }
                    }
                }
            }
        }
    }

    /// POSTs an EventBridge-shaped event to the webhook, signed with HMAC-SHA256 when a secret
    /// is configured.
    async fn post_webhook(&self, body: &str) -> Result<(), Failure> {
        let Some(hook) = &self.config.webhook else {
            return Err(Failure {
                message: "no webhook is configured".into(),
                retryable: false,
            });
        };
        let event: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let mut req = hyper::Request::post(&hook.url)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("codecommit-local/", env!("CARGO_PKG_VERSION")),
            )
            .header(
                "X-CodeCommit-Local-Event",
                event["detail"]["event"].as_str().unwrap_or(""),
            )
            .header(
                "X-CodeCommit-Local-Delivery",
                event["id"].as_str().unwrap_or(""),
            );
        if let Some(secret) = &hook.secret {
            req = req.header(
                "X-CodeCommit-Local-Signature-256",
                format!(
                    "sha256={}",
                    hmac_sha256_hex(secret.as_bytes(), body.as_bytes())
                ),
            );
        }
        let req = req
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
            .map_err(|e| Failure {
                message: format!("the webhook URL is not usable: {e}"),
                retryable: false,
            })?;
        let send = async {
            let resp = match self.webhook_http() {
                WebhookHttp::Https(c) => c.request(req).await,
                WebhookHttp::Http(c) => c.request(req).await,
            }
            .map_err(|e| Failure {
                message: format!("webhook: {e}"),
                retryable: true,
            })?;
            let status = resp.status();
            // Read the answer so the connection can be reused.
            let _ = resp.into_body().collect().await;
            if status.is_success() {
                Ok(())
            } else {
                Err(Failure {
                    message: format!("webhook answered HTTP {}", status.as_u16()),
                    retryable: status.is_server_error() || status.as_u16() == 429,
                })
            }
        };
        match tokio::time::timeout(self.config.timeout, send).await {
            Ok(r) => r,
            Err(_) => Err(Failure {
                message: "webhook: timed out".into(),
                retryable: true,
            }),
        }
    }
}

/// What sending one row achieved.
fn outcome_of_one(sent: Result<(), Failure>) -> Outcome {
    match sent {
        Ok(()) => Outcome {
            delivered: 1,
            failure: None,
        },
        Err(f) => Outcome {
            delivered: 0,
            failure: Some(f),
        },
    }
}

/// A PutEvents entry for an event envelope as the outbox holds it.
fn entry(envelope: &str) -> aws_sdk_eventbridge::types::PutEventsRequestEntry {
    let v: serde_json::Value = serde_json::from_str(envelope).unwrap_or_default();
    let resources = v["resources"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let time = v["time"].as_str().and_then(|t| {
        aws_sdk_eventbridge::primitives::DateTime::from_str(
            t,
            aws_sdk_eventbridge::primitives::DateTimeFormat::DateTime,
        )
        .ok()
    });
    aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .source(v["source"].as_str().unwrap_or(super::eventbridge::SOURCE))
        .detail_type(v["detail-type"].as_str().unwrap_or_default())
        .detail(v["detail"].to_string())
        .set_resources(Some(resources))
        .set_time(time)
        .build()
}

fn no_endpoint() -> Failure {
    Failure {
        message: "No AWS endpoint is configured (--aws-endpoint-url or AWS_ENDPOINT_URL); nothing was sent.".into(),
        retryable: false,
    }
}

/// What went wrong in an SDK call, and whether trying again later may help: the endpoint
/// being unreachable, slow, overloaded or failing (5xx, throttling) is worth a retry; a
/// refusal (missing topic or function, bad request) is not.
fn sdk_failure<E>(err: &SdkError<E, aws_sdk_sns::config::http::HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Error");
            let message = e.message().unwrap_or("");
            let retryable = matches!(
                code,
                "ThrottlingException"
                    | "Throttling"
                    | "TooManyRequestsException"
                    | "ServiceUnavailable"
                    | "ServiceException"
                    | "InternalFailure"
                    | "InternalError"
                    | "InternalErrorException"
                    | "KMSThrottlingException"
            ) || se.raw().status().is_server_error();
            Failure {
                message: if message.is_empty() {
                    code.to_owned()
                } else {
                    format!("{code}: {message}")
                },
                retryable,
            }
        }
        SdkError::ConstructionFailure(_) => Failure {
            message: format!("{}", aws_sdk_sns::error::DisplayErrorContext(err)),
            retryable: false,
        },
        SdkError::TimeoutError(_) => Failure {
            message: "the endpoint did not answer in time".into(),
            retryable: true,
        },
        _ => Failure {
            message: format!("{}", aws_sdk_sns::error::DisplayErrorContext(err)),
            retryable: true,
        },
    }
}

/// Whether an endpoint refused a call because it does not know the operation (an emulator
/// that serves Publish but not PublishBatch). By code only: SNS answers a missing topic with
/// HTTP 404 too.
fn unknown_action<E>(err: &SdkError<E, aws_sdk_sns::config::http::HttpResponse>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let SdkError::ServiceError(se) = err else {
        return false;
    };
    matches!(
        se.err().code(),
        Some(
            "InvalidAction"
                | "UnknownOperation"
                | "UnknownOperationException"
                | "NotImplemented"
                | "InvalidOperation"
        )
    )
}

/// Hex HMAC-SHA256 of `body` keyed with `key` (the webhook signature).
pub fn hmac_sha256_hex(key: &[u8], body: &[u8]) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Starts the background deliverer on a thread of its own, with its own runtime, at a lower
/// CPU priority: when writes keep every core busy, they win the CPU, and delivery (signing,
/// HTTP, marking rows) catches up in between; the outbox holds what waits. On the request
/// runtime, delivering 11 events per write took CPU from the writes that made them. Threads
/// the deliverer starts (its blocking pool) inherit the priority. It stops with the runtime
/// that called this (the server's): a task there holds the other end of its stop signal.
pub fn spawn(state: Arc<AppState>) {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _stop_when_dropped = stop_tx;
        std::future::pending::<()>().await
    });
    let started = std::thread::Builder::new()
        .name("event-deliverer".into())
        .spawn(move || {
            lower_priority();
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name("event-deliverer")
                .build()
            {
                Ok(rt) => rt.block_on(async move {
                    tokio::select! {
                        () = run(state) => {}
                        _ = stop_rx => {}
                    }
                }),
                Err(e) => tracing::error!(error = %e, "the event deliverer could not start"),
            }
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "the event deliverer could not start");
    }
}

/// Lowers the calling thread's priority; where the system refuses, it runs as it is.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        /// How much lower than requests the deliverer runs (a `nice` increment).
        const NICENESS: i32 = 10;
        // On Linux the nice value is per thread: this one and those it starts.
        let tid = rustix::thread::gettid();
        let now = rustix::process::getpriority_process(Some(tid)).unwrap_or(0);
        if let Err(e) = rustix::process::setpriority_process(Some(tid), now + NICENESS) {
            tracing::debug!(error = %e, "could not lower the event deliverer's priority");
        }
    }
}

/// Whether new deliveries (and the spreading of recorded writes before them) should wait,
/// and until when. While answers follow each other less than [`QUIET`] apart — a script
/// writing as fast as it can — delivering competes with the requests for the CPU, and so does
/// the endpoint when it runs on the same machine (moto or LocalStack beside the server took
/// half a core during a burst of PutFile calls). So the work waits for a pause, but only
/// during a burst's first `defer_while_busy`: a longer burst gets its deliveries, in flight
/// beside it, so a steady load cannot hold events back longer than that. Nothing waits while
/// requests come further apart.
fn burst_wait(state: &AppState) -> Option<Instant> {
    let max = state.config.delivery.defer_while_busy;
    if max.is_zero() || state.outbox.pending() == 0 {
        return None;
    }
    let (quiet, burst) = state.activity.now();
    burst_wait_at(max, quiet, burst, Instant::now())
}

/// [`burst_wait`] for given facts: the most to wait, how long since the last answer, how long
/// the burst has lasted, the time now.
fn burst_wait_at(
    max: std::time::Duration,
    quiet: std::time::Duration,
    burst: std::time::Duration,
    now: Instant,
) -> Option<Instant> {
    if quiet >= QUIET || burst + quiet >= max {
        return None;
    }
    Some(now + (QUIET - quiet).min(max - burst - quiet))
}

async fn run(state: Arc<AppState>) {
    let limit = state.config.delivery.concurrency.max(1);
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        if let Some(until) = burst_wait(&state) {
            tokio::time::sleep_until(until.into()).await;
            continue;
        }
        let free = limit.saturating_sub(in_flight.load(std::sync::atomic::Ordering::Acquire));
        let (batches, next_due) = state.outbox.take_ready(Instant::now(), free);
        for batch in batches {
            in_flight.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            let state = state.clone();
            let in_flight = in_flight.clone();
            tokio::spawn(async move {
                let outcome = state.deliverer.deliver(&batch).await;
                state.outbox.finish(&batch, &outcome);
                in_flight.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                state.outbox.wake();
            });
        }
        // The writes' recorded deliveries are spread and queued, and delivery statuses
        // written, in batches: when enough wait, or the oldest has waited long enough. What
        // was spread may be deliverable at once: the loop looks again.
        let (flush, records_due) = state.outbox.records_due(Instant::now());
        if flush {
            let st = state.clone();
            let written =
                tokio::task::spawn_blocking(move || st.outbox.flush_records(&st.store)).await;
            if matches!(written, Ok(true)) {
                continue;
            }
        }
        let next_due = [next_due, records_due].into_iter().flatten().min();
        if state.outbox.wants_prune() {
            let st = state.clone();
            let _ = tokio::task::spawn_blocking(move || st.outbox.prune(&st.store)).await;
        }
        match next_due {
            Some(at) => {
                tokio::select! {
                    () = state.outbox.notified() => {}
                    () = tokio::time::sleep_until(at.into()) => {}
                }
            }
            None => state.outbox.notified().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{QUIET, burst_wait_at};
    use std::time::{Duration, Instant};

    #[test]
    fn deliveries_wait_out_the_start_of_a_burst() {
        let max = Duration::from_millis(250);
        let now = Instant::now();
        let ms = Duration::from_millis;
        // A pause: deliver.
        assert_eq!(burst_wait_at(max, QUIET, ms(0), now), None);
        assert_eq!(burst_wait_at(max, ms(80), ms(100), now), None);
        // An answer 1 ms ago, 10 ms into a burst: wait until 5 ms have passed without one.
        assert_eq!(burst_wait_at(max, ms(1), ms(10), now), Some(now + ms(4)));
        // Near the burst's limit: wait no longer than it...
        assert_eq!(burst_wait_at(max, ms(1), ms(247), now), Some(now + ms(2)));
        // ...and past it, deliveries go on beside the burst.
        assert_eq!(burst_wait_at(max, ms(1), ms(249), now), None);
        assert_eq!(burst_wait_at(max, ms(0), ms(5_000), now), None);
        // Zero: never wait.
        assert_eq!(burst_wait_at(Duration::ZERO, ms(0), ms(0), now), None);
    }

    #[test]
    fn a_pause_starts_a_new_burst() {
        use crate::activity::Activity;
        let a = Activity::default();
        let burst = |a: &Activity| a.now().1;
        for t in [100, 102, 104] {
            a.seen(t);
        }
        assert_eq!(burst(&a), Duration::from_millis(4));
        // Six milliseconds without an answer: the next one starts a new burst.
        a.seen(110);
        assert_eq!(burst(&a), Duration::ZERO);
        a.seen(113);
        assert_eq!(burst(&a), Duration::from_millis(3));
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
