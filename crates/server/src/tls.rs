//! The HTTPS listener's certificate: the one given (`--tls-cert`/`--tls-key`), or a local CA and
//! a server certificate generated into `<data>/tls/` on first start and reused after.
//!
//! The CA is made once and kept (clients are told to trust `<data>/tls/ca.pem` through
//! `GIT_SSL_CAINFO` / `AWS_CA_BUNDLE`); the server certificate it signs names `localhost`,
//! `127.0.0.1`, `::1` and any configured names, and is made again (by the same CA) when the
//! names change or it is within a month of expiring, so trusting the CA once is enough.

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the certificate came from, for the startup log.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain served.
    pub cert: PathBuf,
    /// The CA clients should trust, when it is ours.
    pub ca: Option<PathBuf>,
    /// Names the generated certificate is valid for.
    pub names: Vec<String>,
}

/// The names every generated certificate carries.
pub const DEFAULT_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// The generated server certificate lives this long; it is renewed a month before its end.
const SERVER_CERT_DAYS: i64 = 365;
const RENEW_BEFORE_DAYS: i64 = 30;
/// The CA lives long: it is what users configure once.
const CA_DAYS: i64 = 3650;
/// The CA's subject; the server certificate's issuer must spell it the same way.
const CA_NAME: &str = "codecommit-local local CA";

/// The rustls configuration of the HTTPS listener, and which files it uses.
pub fn server_config(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
    extra_names: &[String],
) -> Result<(Arc<ServerConfig>, TlsFiles), String> {
    let (chain, key, files) = match (cert, key) {
        (Some(cert), Some(key)) => {
            let chain = load_chain(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("cannot read the TLS key {}: {e}", key.display()))?;
            let files = TlsFiles {
                cert: cert.to_owned(),
                ca: None,
                names: Vec::new(),
            };
            (chain, key, files)
        }
        (None, None) => {
            let files = ensure_generated(&data_dir.join("tls"), extra_names)?;
            let chain = load_chain(&files.cert)?;
            let key_path = data_dir.join("tls").join("server-key.pem");
            let key = PrivateKeyDer::from_pem_file(&key_path)
                .map_err(|e| format!("cannot read the TLS key {}: {e}", key_path.display()))?;
            (chain, key, files)
        }
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    // AES-128-GCM first (then AES-256, ChaCha20), and the server's order wins: the cheapest
    // suite for pushing and cloning large packs through TLS (AES-NI on both sides).
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.sort_by_key(|s| match s.suite() {
        rustls::CipherSuite::TLS13_AES_128_GCM_SHA256 => 0,
        rustls::CipherSuite::TLS13_AES_256_GCM_SHA384 => 1,
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => 2,
        _ => 3,
    });
    let provider = Arc::new(provider);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate and key do not fit: {e}"))?;
    config.ignore_client_order = true;
    // Only HTTP/1.1 is served.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), files))
}

fn load_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", path.display()))?;
    if chain.is_empty() {
        return Err(format!("no certificate in {}", path.display()));
    }
    Ok(chain)
}

/// The names the server certificate must carry: the defaults, then the configured ones.
pub fn certificate_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = DEFAULT_NAMES.iter().map(|s| (*s).to_owned()).collect();
    for n in extra {
        let n = n.trim().trim_start_matches('[').trim_end_matches(']');
        if !n.is_empty() && !names.iter().any(|m| m.eq_ignore_ascii_case(n)) {
            names.push(n.to_owned());
        }
    }
    names
}

/// Makes the CA (once) and the server certificate (when missing, stale, or for other names).
fn ensure_generated(dir: &Path, extra_names: &[String]) -> Result<TlsFiles, String> {
    let io = |what: &str, p: &Path, e: std::io::Error| format!("{what} {}: {e}", p.display());
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
    let ca_path = dir.join("ca.pem");
    let ca_key_path = dir.join("ca-key.pem");
    let cert_path = dir.join("server.pem");
    let key_path = dir.join("server-key.pem");
    let meta_path = dir.join("server.names");
    let names = certificate_names(extra_names);
    let now = time::OffsetDateTime::now_utc();

    // A kept CA whose key cannot be read (a crash while it was first written) is made anew.
    let kept = (ca_path.is_file() && ca_key_path.is_file())
        .then(|| std::fs::read_to_string(&ca_key_path).ok())
        .flatten()
        .and_then(|pem| match rcgen::KeyPair::from_pem(&pem) {
            Ok(k) => Some(k),
            Err(e) => {
                tracing::warn!(key = %ca_key_path.display(), error = %e, "the local CA's key is unreadable: making a new CA (clients must trust the new ca.pem)");
                None
            }
        });
    let ca_key = if let Some(key) = kept {
        key
    } else {
        let key = rcgen::KeyPair::generate().map_err(|e| format!("generating the CA key: {e}"))?;
        let mut params = ca_params();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(CA_DAYS);
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("generating the CA: {e}"))?;
        write_private(&ca_key_path, &key.serialize_pem())?;
        std::fs::write(&ca_path, cert.pem()).map_err(|e| io("cannot write", &ca_path, e))?;
        // A new CA invalidates any server certificate signed by an old one.
        let _ = std::fs::remove_file(&meta_path);
        tracing::info!(ca = %ca_path.display(), "generated a local certificate authority for HTTPS");
        key
    };

    let wanted = names.join("\n");
    let fresh = std::fs::read_to_string(&meta_path)
        .ok()
        .is_some_and(|meta| {
            let mut lines = meta.splitn(2, '\n');
            let not_after: i64 = lines
                .next()
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(0);
            let recorded = lines.next().unwrap_or("").trim_end();
            recorded == wanted
                && not_after - now.unix_timestamp() > RENEW_BEFORE_DAYS * 86_400
                && cert_path.is_file()
                && key_path.is_file()
        });
    if !fresh {
        let key =
            rcgen::KeyPair::generate().map_err(|e| format!("generating the server key: {e}"))?;
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "codecommit-local");
        params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<IpAddr>() {
                Ok(ip) => Ok(rcgen::SanType::IpAddress(ip)),
                Err(_) => n
                    .clone()
                    .try_into()
                    .map(rcgen::SanType::DnsName)
                    .map_err(|e| format!("{n} cannot be a certificate name: {e}")),
            })
            .collect::<Result<_, String>>()?;
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - time::Duration::days(1);
        let not_after = now + time::Duration::days(SERVER_CERT_DAYS);
        params.not_after = not_after;
        let issuer = rcgen::Issuer::new(ca_params(), &ca_key);
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(|e| format!("generating the server certificate: {e}"))?;
        write_private(&key_path, &key.serialize_pem())?;
        std::fs::write(&cert_path, cert.pem()).map_err(|e| io("cannot write", &cert_path, e))?;
        std::fs::write(
            &meta_path,
            format!("{}\n{wanted}\n", not_after.unix_timestamp()),
        )
        .map_err(|e| io("cannot write", &meta_path, e))?;
        tracing::info!(names = %names.join(","), cert = %cert_path.display(), "generated the HTTPS server certificate");
    }
    Ok(TlsFiles {
        cert: cert_path,
        ca: Some(ca_path),
        names,
    })
}

/// The CA's parameters; the same every time, so a kept CA key signs as the same issuer.
fn ca_params() -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, CA_NAME);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "codecommit-local");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A private key file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // Not fsynced: what a crash cuts short is made again on the next start.
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (_, files) = server_config(dir.path(), None, None, &[]).unwrap();
        let ca = std::fs::read(files.ca.as_ref().unwrap()).unwrap();
        let cert = std::fs::read(&files.cert).unwrap();
        let (_, again) = server_config(dir.path(), None, None, &[]).unwrap();
        assert_eq!(std::fs::read(again.ca.as_ref().unwrap()).unwrap(), ca);
        assert_eq!(std::fs::read(&again.cert).unwrap(), cert, "reused");
        // Another name: a new server certificate from the same CA.
        let (_, more) = server_config(dir.path(), None, None, &["git.test".into()]).unwrap();
        assert_eq!(std::fs::read(more.ca.as_ref().unwrap()).unwrap(), ca);
        assert_ne!(std::fs::read(&more.cert).unwrap(), cert);
        assert!(more.names.contains(&"git.test".to_owned()));
    }

    #[test]
    fn cert_and_key_go_together() {
        let dir = tempfile::tempdir().unwrap();
        assert!(server_config(dir.path(), Some(Path::new("/nope")), None, &[]).is_err());
    }
}
