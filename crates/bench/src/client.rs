//! A small keep-alive HTTP/1.1 client for awsJson calls, so that measured latency is the
//! server's, not an SDK's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

pub struct Client {
    host: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("bad JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

impl Client {
    /// `endpoint` like `http://127.0.0.1:4599`.
    pub fn connect(endpoint: &str) -> Result<Client, String> {
        let host = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let stream = TcpStream::connect(&host).map_err(|e| format!("connect {host}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        Ok(Client {
            host,
            reader: BufReader::new(stream),
            writer,
        })
    }

    /// One CodeCommit call; errors (non-200) are returned as answers too.
    pub fn call(&mut self, operation: &str, body: &serde_json::Value) -> Result<Answer, String> {
        self.call_as(None, operation, body)
    }

    /// One call signed (in form only: the server reads the credential scope) with
    /// `access_key`, so it acts as that key's principal; unsigned for `None`.
    pub fn call_as(
        &mut self,
        access_key: Option<&str>,
        operation: &str,
        body: &serde_json::Value,
    ) -> Result<Answer, String> {
        let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let auth = access_key
            .map(|k| {
                format!(
                    "Authorization: AWS4-HMAC-SHA256 Credential={k}/20260101/us-east-1/codecommit/aws4_request, SignedHeaders=host, Signature=0\r\n"
                )
            })
            .unwrap_or_default();
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CodeCommit_20150413.{operation}\r\n{auth}Content-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.writer
            .write_all(head.as_bytes())
            .map_err(|e| e.to_string())?;
        self.writer.write_all(&body).map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().map_err(|_| "bad content-length")?;
            }
        }
        let mut body = vec![0u8; length];
        self.reader
            .read_exact(&mut body)
            .map_err(|e| e.to_string())?;
        Ok(Answer { status, body })
    }

    /// A call that must succeed; returns its JSON (or null for empty bodies).
    pub fn ok(
        &mut self,
        operation: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        self.ok_as(None, operation, body)
    }

    /// [`Client::ok`] acting as `access_key`'s principal.
    pub fn ok_as(
        &mut self,
        access_key: Option<&str>,
        operation: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let a = self.call_as(access_key, operation, &body)?;
        if a.status != 200 {
            return Err(format!(
                "{operation} failed ({}): {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            ));
        }
        if a.body.is_empty() {
            Ok(serde_json::Value::Null)
        } else {
            a.json()
        }
    }
}
