//! Small HTTP endpoints for the delivery tests: a recorder that keeps every request it gets
//! (a stand-in Lambda endpoint, a webhook receiver), a TCP proxy that can black-hole its
//! connections (a dead endpoint that comes back), and a SigV4 check of recorded requests.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The members of a form-encoded body (an AWS query-protocol call), in order.
    pub fn form(&self) -> Vec<(String, String)> {
        fn decode(s: &str) -> String {
            let bytes = s.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'+' => out.push(b' '),
                    b'%' if i + 2 < bytes.len() => {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                        out.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 2;
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            String::from_utf8(out).unwrap()
        }
        std::str::from_utf8(&self.body)
            .unwrap()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect()
    }

    /// One member of a form-encoded body.
    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// An answer: status, content type, body.
pub type Answer = (u16, &'static str, String);

/// Keeps every request it gets and answers it: with a fixed status and `{}`, or as a function
/// of the request decides.
pub struct Recorder {
    pub addr: SocketAddr,
    seen: Arc<(Mutex<Vec<Recorded>>, Condvar)>,
}

impl Recorder {
    pub fn start(status: u16) -> Recorder {
        Recorder::answering(move |_| (status, "application/json", "{}".into()))
    }

    pub fn answering(answer: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<(Mutex<Vec<Recorded>>, Condvar)> = Arc::default();
        let sink = seen.clone();
        let answer: Arc<dyn Fn(&Recorded) -> Answer + Send + Sync> = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let sink = sink.clone();
                let answer = answer.clone();
                std::thread::spawn(move || serve(stream, &*answer, &sink));
            }
        });
        Recorder { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until `n` requests arrived (or `within` passed) and answers all of them.
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<Recorded> {
        let (lock, cv) = &*self.seen;
        let deadline = Instant::now() + within;
        let mut seen = lock.lock().unwrap();
        while seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            seen = cv.wait_timeout(seen, left).unwrap().0;
        }
        seen.clone()
    }
}

fn serve(
    stream: TcpStream,
    answer: &(dyn Fn(&Recorded) -> Answer + Send + Sync),
    sink: &(Mutex<Vec<Recorded>>, Condvar),
) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Recorded {
            method,
            path,
            headers,
            body,
        };
        let (status, content_type, reply) = answer(&request);
        {
            let (lock, cv) = sink;
            lock.lock().unwrap().push(request);
            cv.notify_all();
        }
        let answer = format!(
            "HTTP/1.1 {status} Recorded\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: rec\r\n\r\n{reply}",
            reply.len()
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// A TCP proxy to `upstream` that can swallow its connections instead: accepted, read, never
/// answered (a black-holed endpoint). Switching affects connections made afterwards.
pub struct Proxy {
    pub addr: SocketAddr,
    black_hole: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, black_hole: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let flag = Arc::new(AtomicBool::new(black_hole));
        let mode = flag.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(client) = stream else { continue };
                if mode.load(Ordering::SeqCst) {
                    // Read and drop everything; never answer.
                    std::thread::spawn(move || {
                        let mut client = client;
                        let mut buf = [0u8; 4096];
                        while matches!(client.read(&mut buf), Ok(n) if n > 0) {}
                    });
                    continue;
                }
                std::thread::spawn(move || {
                    let Ok(server) = TcpStream::connect(upstream) else {
                        return;
                    };
                    let (mut c_read, mut s_write) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    let (mut s_read, mut c_write) = (server, client);
                    let up = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut c_read, &mut s_write);
                        let _ = s_write.shutdown(std::net::Shutdown::Write);
                    });
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                    let _ = c_write.shutdown(std::net::Shutdown::Write);
                    let _ = up.join();
                });
            }
        });
        Proxy {
            addr,
            black_hole: flag,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_black_hole(&self, on: bool) {
        self.black_hole.store(on, Ordering::SeqCst);
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    hex(&hmac(key, data))
}

/// SigV4's URI encoding (everything but unreserved characters).
fn uri_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks a recorded request's SigV4 `Authorization` header: the credential scope, and the
/// signature recomputed from the request as received (non-S3 services encode the path twice).
pub fn verify_sigv4(req: &Recorded, access_key: &str, secret: &str, region: &str, service: &str) {
    let auth = req.header("authorization").expect("Authorization header");
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .unwrap_or_else(|| panic!("not SigV4: {auth}"));
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {auth}"))
            .to_owned()
    };
    let credential = field("Credential");
    let signed_headers = field("SignedHeaders");
    let signature = field("Signature");
    let amz_date = req.header("x-amz-date").expect("x-amz-date");
    let date = &amz_date[..8];
    assert_eq!(
        credential,
        format!("{access_key}/{date}/{region}/{service}/aws4_request")
    );
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    let canonical_uri = path
        .split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/");
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let value = req
            .header(name)
            .unwrap_or_else(|| panic!("signed header {name} missing"));
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let payload_hash = req
        .header("x-amz-content-sha256")
        .map(str::to_owned)
        .unwrap_or_else(|| sha256_hex(&req.body));
    let canonical = format!(
        "{}\n{canonical_uri}\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        req.method
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    assert_eq!(
        signature,
        hex(&hmac(&k_signing, to_sign.as_bytes())),
        "SigV4 signature does not verify; canonical request:\n{canonical}"
    );
}

/// A SigV4 `Authorization` header for a `POST /` made by hand: `headers` (lowercase names,
/// sorted, all signed) at `stamp` (`YYYYMMDDTHHMMSSZ`), whichever header carries the date.
pub fn sigv4_authorization(
    access_key: &str,
    secret: &str,
    region: &str,
    service: &str,
    stamp: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> String {
    let date = &stamp[..8];
    let signed_headers = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let canonical = format!(
        "POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}",
        sha256_hex(body)
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{stamp}\n{date}/{region}/{service}/aws4_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{date}/{region}/{service}/aws4_request, SignedHeaders={signed_headers}, Signature={}",
        hex(&hmac(&k_signing, to_sign.as_bytes()))
    )
}
