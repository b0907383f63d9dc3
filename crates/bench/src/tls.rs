//! A fresh connection's TLS handshake and first answer, measured in-process (no client start-up
//! in the figure): connect, rustls handshake (TLS 1.3, no session reuse), `GET /health`, read
//! the answer; interleaved with connect + `GET /health` over plain HTTP.

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

pub fn run(args: &[String]) -> Result<(), String> {
    let [https, http, ca, runs] = args else {
        return Err("usage: ccl-bench tls HTTPS_ADDR HTTP_ADDR CA RUNS".into());
    };
    let runs: usize = runs.parse().map_err(|_| "RUNS must be a number")?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| e.to_string())? {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Every connection is cold: no session resumption.
    config.resumption = rustls::client::Resumption::disabled();
    let config = Arc::new(config);
    let (mut handshakes, mut totals, mut plain) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let (h, t) = one_tls(https, &config)?;
        if i == 0 {
            println!("first connection: handshake {h:.2} ms, answer {t:.2} ms");
        }
        handshakes.push(h);
        totals.push(t);
        plain.push(one_plain(http)?);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "median of {runs}: TLS connect+handshake {:.2} ms, connect+handshake+answer {:.2} ms; plain HTTP connect+answer {:.2} ms",
        median(&mut handshakes),
        median(&mut totals),
        median(&mut plain)
    );
    Ok(())
}

const REQUEST: &[u8] = b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

fn one_tls(addr: &str, config: &Arc<rustls::ClientConfig>) -> Result<(f64, f64), String> {
    let started = Instant::now();
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(config.clone(), name).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .map_err(|e| e.to_string())?;
    }
    let handshake = started.elapsed().as_secs_f64() * 1000.0;
    tls.write_all(REQUEST).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    if !answer.starts_with(b"HTTP/1.1 200") {
        return Err(format!(
            "unexpected answer: {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    Ok((handshake, started.elapsed().as_secs_f64() * 1000.0))
}

fn one_plain(addr: &str) -> Result<f64, String> {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    tcp.write_all(REQUEST).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}
