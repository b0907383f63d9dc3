//! The serving loop: slow or idle clients are timed out (headers, body, keep-alive), the
//! connection limit makes room by closing the longest-idle connection, and `/health` answers
//! with hundreds of idle connections under a low open-file limit.

use crate::common::http::{self, RawResponse};
use crate::common::process::{Process, command};
use crate::common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

fn server_with(header_ms: u64, body_ms: u64, max_connections: Option<usize>) -> TestServer {
    TestServer::start_with(|c| {
        c.header_timeout = Some(Duration::from_millis(header_ms));
        c.body_timeout = Some(Duration::from_millis(body_ms));
        c.max_connections = max_connections;
    })
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Everything the server sends until it closes the connection; panics if it is still open
/// after 20 seconds.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!(
                    "the server kept the connection open; it sent {:?}",
                    String::from_utf8_lossy(&out)
                )
            }
            // A close with unread input is a reset: closed all the same.
            Err(_) => return out,
        }
    }
}

/// Reads one whole response (headers and the body they announce) without waiting for a close.
fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !http::is_complete(&raw) {
        let n = stream.read(&mut buf).expect("response");
        assert!(
            n > 0,
            "closed mid-response: {:?}",
            String::from_utf8_lossy(&raw)
        );
        raw.extend_from_slice(&buf[..n]);
    }
    http::parse(&raw)
}

fn health(addr: SocketAddr) -> u16 {
    http::request(addr, "GET", "/health", &[], b"").status
}

/// An API request's head with an `Expect: 100-continue`, so that the server's "100 Continue"
/// tells the test the request has reached its handler.
fn api_head(target: &str, len: usize) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: CodeCommit_20150413.{target}\r\nContent-Length: {len}\r\n\
         Expect: 100-continue\r\n\r\n"
    )
}

fn expect_continue(stream: &mut TcpStream) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut buf).expect("100 Continue"), 1);
        raw.push(buf[0]);
    }
    assert!(
        raw.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn a_client_that_sends_nothing_is_disconnected() {
    let server = server_with(300, 60_000, None);
    let mut silent = connect(server.addr);
    let sent = read_until_closed(&mut silent);
    assert!(sent.is_empty(), "{}", String::from_utf8_lossy(&sent));
    assert_eq!(health(server.addr), 200);
}

#[test]
fn half_sent_headers_are_timed_out() {
    let server = server_with(300, 60_000, None);
    let mut slow = connect(server.addr);
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
        .unwrap();
    let sent = read_until_closed(&mut slow);
    assert!(
        sent.is_empty() || sent.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&sent)
    );
    assert_eq!(health(server.addr), 200);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let server = server_with(300, 60_000, None);
    let mut conn = connect(server.addr);
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut conn).status, 200);
    // Kept alive for a second request…
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut conn).status, 200);
    // …and closed once it sits idle.
    assert!(read_until_closed(&mut conn).is_empty());
}

#[test]
fn a_stalled_api_body_is_answered_400_and_closed() {
    let server = server_with(60_000, 300, None);
    let mut conn = connect(server.addr);
    conn.write_all(api_head("ListRepositories", 100).as_bytes())
        .unwrap();
    expect_continue(&mut conn);
    conn.write_all(b"{\"nextTo").unwrap();
    let raw = read_until_closed(&mut conn);
    let r = http::parse(&raw);
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["__type"], "SerializationException", "{}", r.text());
    assert!(r.header("x-amzn-RequestId").is_some());
}

#[tokio::test]
async fn a_stalled_push_body_is_cut_off_and_changes_nothing() {
    let server = server_with(60_000, 300, None);
    let client = server.client();
    create_repo(&client, "stalled").await;
    let mut conn = connect(server.addr);
    let head = "POST /v1/repos/stalled/git-receive-pack HTTP/1.1\r\nHost: x\r\n\
                Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 10000\r\n\r\n";
    conn.write_all(head.as_bytes()).unwrap();
    // The start of a ref update, then nothing.
    conn.write_all(b"00a40000000000000000000000000000000000000000 ")
        .unwrap();
    read_until_closed(&mut conn);
    let branches = client
        .list_branches()
        .repository_name("stalled")
        .send()
        .await
        .unwrap();
    assert!(branches.branches().is_empty());
}

#[test]
fn at_the_limit_the_longest_idle_connection_makes_room() {
    // Header timeout far away: only the limit's own rule can free a slot in time.
    let server = server_with(60_000, 60_000, Some(4));
    let mut idle: Vec<TcpStream> = (0..4).map(|_| connect(server.addr)).collect();
    for _ in 0..3 {
        let mut conn = connect(server.addr);
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut conn).status, 200);
    }
    // The ones closed to make room see the close; at most `max` stay open.
    let mut closed = 0;
    for conn in &mut idle {
        conn.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut buf = [0u8; 1];
        match conn.read(&mut buf) {
            Ok(0) => closed += 1,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => closed += 1,
            Ok(_) => panic!("an idle connection got data"),
        }
    }
    assert!(closed >= 1, "no idle connection was closed to make room");
}

#[tokio::test]
async fn a_connection_with_a_request_in_flight_is_never_closed_for_room() {
    let server = server_with(60_000, 60_000, Some(2));
    let body = br#"{"repositoryName":"in-flight"}"#;
    let mut busy = connect(server.addr);
    busy.write_all(api_head("CreateRepository", body.len()).as_bytes())
        .unwrap();
    expect_continue(&mut busy);
    busy.write_all(&body[..5]).unwrap();
    // One idle connection, then two more clients: each needs the idle one's slot.
    let _idle = connect(server.addr);
    assert_eq!(health(server.addr), 200);
    assert_eq!(health(server.addr), 200);
    // The request in flight finishes on its connection.
    busy.write_all(&body[5..]).unwrap();
    let r = read_response(&mut busy);
    assert_eq!(r.status, 200, "{}", r.text());
    get_repo(&server.client(), "in-flight").await;
}

#[test]
fn timeouts_and_the_limit_are_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = command(&tmp.path().join("data"));
    cmd.env("CODECOMMIT_LOCAL_LOG", "info")
        .args(["--header-timeout", "0.3", "--body-timeout", "0.3"])
        .args(["--max-connections", "3"]);
    let server = Process::spawn(cmd);
    let mut silent = connect(server.addr);
    read_until_closed(&mut silent);
    assert!(
        server.has_log(&[
            "closed a connection",
            "no complete request headers within 0.3s"
        ]),
        "{}",
        server.log_text()
    );
    let mut stalled = connect(server.addr);
    stalled
        .write_all(api_head("ListRepositories", 100).as_bytes())
        .unwrap();
    expect_continue(&mut stalled);
    read_until_closed(&mut stalled);
    assert!(
        server.has_log(&["request body timed out", "0.3s"]),
        "{}",
        server.log_text()
    );
    let _idle: Vec<TcpStream> = (0..3).map(|_| connect(server.addr)).collect();
    assert_eq!(health(server.addr), 200);
    assert!(
        server.has_log(&["connection limit reached", "max_connections=3"]),
        "{}",
        server.log_text()
    );
}

/// 300 clients that connect and send nothing, against a server allowed 128 open files: the
/// health check still answers at once.
#[test]
fn health_answers_with_300_idle_connections_and_few_file_descriptors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let plain = command(&data);
    // The same command, under `ulimit -n 128`.
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -n 128 && exec \"$@\"")
        .arg("sh")
        .arg(plain.get_program())
        .args(plain.get_args());
    for (k, v) in plain.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let server = Process::spawn(cmd);
    let idle: Vec<TcpStream> = (0..300).map(|_| connect(server.addr)).collect();
    for _ in 0..5 {
        let mut conn = connect(server.addr);
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        assert_eq!(
            read_response(&mut conn).status,
            200,
            "{}",
            server.log_text()
        );
    }
    // The API and git work too: a repository is created and listed.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        create_repo(&server.client(), "crowded").await;
        assert_eq!(list_names(&server.client()).await, ["crowded"]);
    });
    drop(idle);
}

/// Request bodies held at once stay within the body memory budget: a call that would go over
/// waits briefly, then gets ThrottlingException; one larger than the whole budget is 413.
#[tokio::test]
async fn request_bodies_share_a_memory_budget() {
    let server = TestServer::start_with(|c| c.max_body_memory = 1 << 20);
    let padded = |name: &str, len: usize| {
        let head = format!("{{\"repositoryName\":\"{name}\",\"padding\":\"");
        let mut body = head.into_bytes();
        body.resize(len - 2, b'x');
        body.extend_from_slice(b"\"}");
        body
    };
    // A holds 800 KB of its body, the rest not sent yet.
    let a = padded("a", 900_000);
    let mut conn_a = connect(server.addr);
    conn_a
        .write_all(api_head("CreateRepository", a.len()).as_bytes())
        .unwrap();
    expect_continue(&mut conn_a);
    conn_a.write_all(&a[..800_000]).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.state.body_memory.in_use() < 800_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the body was never read"
        );
        std::thread::yield_now();
    }
    // B needs 500 KB more than is left: refused with AWS's throttling error, after a short wait.
    let b = padded("b", 500_000);
    let headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("X-Amz-Target", "CodeCommit_20150413.CreateRepository"),
    ];
    let r = http::request(server.addr, "POST", "/", &headers, &b);
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["__type"], "ThrottlingException", "{}", r.text());
    // More than the whole budget is too large, whatever is free.
    let huge = padded("c", 2 << 20);
    let r = http::request_large(server.addr, "POST", "/", &headers, huge);
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["__type"], "RequestEntityTooLargeException");
    // A finishes; its memory is given back and B goes through.
    conn_a.write_all(&a[800_000..]).unwrap();
    let r = read_response(&mut conn_a);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.state.body_memory.in_use(), 0);
    let r = http::request(server.addr, "POST", "/", &headers, &b);
    assert_eq!(r.status, 200, "{}", r.text());
    // With room free, a chunked body (no Content-Length) that outgrows the budget as it
    // arrives is 413 too.
    let chunk = vec![b'x'; 256 * 1024];
    let mut raw = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: CodeCommit_20150413.CreateRepository\r\nTransfer-Encoding: chunked\r\n\r\n"
        .to_vec();
    for _ in 0..8 {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(&chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let r = http::send_raw(server.addr, &raw, false).expect("an answer");
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(server.state.body_memory.in_use(), 0);
    assert_eq!(list_names(&server.client()).await, ["a", "b"]);
}
