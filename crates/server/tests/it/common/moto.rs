//! A real moto server (SNS, SQS, EventBridge, …) for the event-delivery tests: one per test
//! process, started on first use on a free port, stopped when the test process exits. Tests
//! isolate themselves by resource names (topics, queues, rules carry a unique suffix).
//!
//! The executable is `$CODECOMMIT_LOCAL_MOTO_SERVER`, else `moto_server` of the test virtualenv
//! (`common::venv_bin`, made on first use or by `.ci/run`); a missing moto is a test failure
//! with the command that installs it, never a skip.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The account moto files everything under (matches the server's default account).
pub const MOTO_ACCOUNT: &str = "000000000000";

pub struct Moto {
    pub endpoint: String,
    _child: Mutex<Child>,
    /// Held open for the life of the test process: when it closes, the wrapper shell stops
    /// moto.
    _stdin: Mutex<ChildStdin>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The path of `moto_server`.
pub fn moto_server_path() -> PathBuf {
    if let Some(p) = std::env::var_os("CODECOMMIT_LOCAL_MOTO_SERVER").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    super::venv_bin().join("moto_server")
}

/// The shared moto server.
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(start)
}

fn start() -> Moto {
    let path = moto_server_path();
    assert!(
        path.is_file(),
        "moto_server not found at {}.\nThe event-delivery tests need a real moto server: see\n  \
         tests/python-requirements.txt (the test virtualenv), or set CODECOMMIT_LOCAL_MOTO_SERVER to a moto_server executable.",
        path.display()
    );
    // The shell stops moto when its stdin (our pipe) closes, i.e. when this process exits,
    // however it exits.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" -H 127.0.0.1 -p 0 2>&1 & pid=$!; trap 'kill $pid 2>/dev/null' EXIT; read _unused; kill $pid 2>/dev/null"#)
        .arg(&path)
        .env("MOTO_ACCOUNT_ID", MOTO_ACCOUNT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
    let stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let endpoint = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.split("Running on ").nth(1) {
                    break rest.trim().to_owned();
                }
                seen.push(line);
            }
            _ => panic!("moto_server exited before listening:\n{}", seen.join("\n")),
        }
    };
    // moto logs every request; keep draining so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    Moto {
        endpoint,
        _child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    }
}

fn creds() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new("test", "test", None, None, "tests")
}

impl Moto {
    pub fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        let conf = aws_sdk_sns::Config::builder()
            .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
            .region(aws_sdk_sns::config::Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds())
            .build();
        aws_sdk_sns::Client::from_conf(conf)
    }

    pub fn sqs(&self, region: &str) -> aws_sdk_sqs::Client {
        let conf = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds())
            .build();
        aws_sdk_sqs::Client::from_conf(conf)
    }

    pub fn eventbridge(&self, region: &str) -> aws_sdk_eventbridge::Client {
        let conf = aws_sdk_eventbridge::Config::builder()
            .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
            .region(aws_sdk_eventbridge::config::Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(creds())
            .build();
        aws_sdk_eventbridge::Client::from_conf(conf)
    }

    /// A new SQS queue; answers its URL and ARN.
    pub async fn queue(&self, region: &str, name: &str) -> (String, String) {
        let sqs = self.sqs(region);
        let url = sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("CreateQueue")
            .queue_url
            .expect("queue url");
        let arn = format!("arn:aws:sqs:{region}:{MOTO_ACCOUNT}:{name}");
        (url, arn)
    }

    /// A new SNS topic with a new SQS queue subscribed to it; answers the topic ARN and the
    /// queue URL.
    pub async fn topic_with_queue(&self, region: &str, name: &str) -> (String, String) {
        let topic = self
            .sns(region)
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("CreateTopic")
            .topic_arn
            .expect("topic arn");
        let (url, queue_arn) = self.queue(region, &format!("{name}-q")).await;
        self.sns(region)
            .subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .expect("Subscribe");
        (topic, url)
    }

    /// An EventBridge rule on the default bus that sends this repository's CodeCommit events
    /// to a new SQS queue; answers the queue URL.
    pub async fn rule_to_queue(&self, region: &str, name: &str, repository: &str) -> String {
        let (url, arn) = self.queue(region, &format!("{name}-q")).await;
        let eb = self.eventbridge(region);
        let pattern = serde_json::json!({
            "source": ["aws.codecommit"],
            "detail": {"repositoryName": [repository]}
        });
        eb.put_rule()
            .name(name)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("PutRule");
        eb.put_targets()
            .rule(name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("q")
                    .arn(arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("PutTargets");
        url
    }

    /// Receives (and deletes) messages until `n` arrived or `within` passed; answers their
    /// bodies in arrival order.
    pub async fn receive(
        &self,
        region: &str,
        queue_url: &str,
        n: usize,
        within: std::time::Duration,
    ) -> Vec<String> {
        let sqs = self.sqs(region);
        let deadline = std::time::Instant::now() + within;
        let mut bodies = Vec::new();
        while bodies.len() < n && std::time::Instant::now() < deadline {
            let out = sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("ReceiveMessage");
            for m in out.messages() {
                bodies.push(m.body().unwrap_or_default().to_owned());
                if let Some(h) = m.receipt_handle() {
                    sqs.delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(h)
                        .send()
                        .await
                        .expect("DeleteMessage");
                }
            }
        }
        bodies
    }
}
