//! The TLS side of the MSSQL honeypot: a rustls server configuration with a certificate that
//! looks like the one SQL Server makes for itself when no certificate is configured
//! (subject and issuer CN "SSL_Self_Signed_Fallback"), generated at first start and kept in
//! the state directory so that restarts present the same certificate (a certificate changing
//! on every restart would mark the honeypot to anyone watching).
//!
//! Differences from the real fallback certificate that remain: SQL Server's is RSA 2048;
//! this one is ECDSA P-256, because ring (the only crypto provider the workspace allows)
//! cannot generate RSA keys. An operator who wants RSA can put their own `cert.pem` and
//! `key.pem` in the directory.
//!
//! Protocol version: TLS 1.2 only. SQL Server 2019 speaking TDS 7.x negotiates at most TLS
//! 1.2 (TLS 1.3 comes with TDS 8.0 "strict" encryption), pytds pins TLSv1_2_METHOD, and
//! TLS 1.3's post-handshake session tickets would not fit the TDS-wrapped handshake.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate file in the state directory.
pub const CERT_FILE: &str = "cert.pem";
/// The private key file (mode 0600).
pub const KEY_FILE: &str = "key.pem";

/// The subject SQL Server gives its self-made certificate.
const FALLBACK_CN: &str = "SSL_Self_Signed_Fallback";

/// The fallback certificate's lifetime: SQL Server's are valid for 30 years from creation.
const VALIDITY: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// Why no TLS configuration could be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Pem { path: PathBuf, message: String },
    #[error("{0} exists without {1}: refusing to overwrite it with a new pair")]
    HalfPair(PathBuf, PathBuf),
    #[error("generating the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Loads `dir/cert.pem` and `dir/key.pem`, or makes and writes a self-signed pair when neither
/// exists (creating `dir`), and returns a TLS 1.2 server configuration on ring.
pub fn server_config(dir: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    match (cert_path.exists(), key_path.exists()) {
        (true, true) => {}
        (false, false) => generate(dir, &cert_path, &key_path)?,
        (true, false) => return Err(TlsError::HalfPair(cert_path, key_path)),
        (false, true) => return Err(TlsError::HalfPair(key_path, cert_path)),
    }
    let certs = load_certs(&cert_path)?;
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| TlsError::Pem {
        path: key_path.clone(),
        message: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_error = |message: String| TlsError::Pem {
        path: path.to_path_buf(),
        message,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error("no certificate".into()));
    }
    Ok(certs)
}

/// Makes the pair and writes the key first (0600, created exclusively), then the
/// certificate: a crash between the two leaves a half pair that the next start reports.
fn generate(dir: &Path, cert_path: &Path, key_path: &Path) -> Result<(), TlsError> {
    fn io(path: &Path) -> impl Fn(std::io::Error) -> TlsError + '_ {
        move |source| TlsError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    let key = rcgen::KeyPair::generate()?;
    let cert = fallback_params()?.self_signed(&key)?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(key_path)
        .map_err(io(key_path))?;
    file.write_all(key.serialize_pem().as_bytes())
        .map_err(io(key_path))?;
    fs::write(cert_path, cert.pem()).map_err(io(cert_path))?;
    tracing::info!(path = %cert_path.display(), "generated the TDS self-signed certificate");
    Ok(())
}

/// Subject, issuer, validity and serial like SQL Server's fallback certificate.
fn fallback_params() -> Result<rcgen::CertificateParams, TlsError> {
    let mut params = rcgen::CertificateParams::default();
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, FALLBACK_CN);
    params.distinguished_name = name;
    let now = SystemTime::now();
    params.not_before = to_offset(now);
    params.not_after = to_offset(now + VALIDITY);
    params.serial_number = Some(random_serial()?);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    Ok(params)
}

fn to_offset(t: SystemTime) -> time::OffsetDateTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// A random 16-byte serial, as SQL Server's are: the top bit cleared keeps it positive, a bit
/// set below it keeps all 16 bytes (DER would drop a leading zero byte).
fn random_serial() -> Result<rcgen::SerialNumber, TlsError> {
    use ring::rand::SecureRandom;
    let mut serial = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut serial)
        .map_err(|_| rcgen::Error::RingUnspecified)?;
    serial[0] &= 0x7F;
    serial[0] |= 0x10;
    Ok(rcgen::SerialNumber::from_slice(&serial))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_reloads_the_same_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("tds");
        server_config(&state).unwrap();
        let first = fs::read(state.join(CERT_FILE)).unwrap();
        let mode = fs::metadata(state.join(KEY_FILE)).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        server_config(&state).unwrap();
        assert_eq!(fs::read(state.join(CERT_FILE)).unwrap(), first);
    }

    #[test]
    fn refuses_half_a_pair() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CERT_FILE), "x").unwrap();
        assert!(matches!(
            server_config(dir.path()),
            Err(TlsError::HalfPair(..))
        ));
    }
}
