//! TLS as libpq's `sslmode` means it, with rustls.
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | - |
//! | `allow`, `prefer` (default) | if the server offers it | no |
//! | `require` | always | no; as `verify-ca` when a root certificate is given (libpq does the same) |
//! | `verify-ca` | always | chain to the root certificate |
//! | `verify-full` | always | chain and host name |
//!
//! The root certificate is `sslrootcert=PATH` (PEM; `system` for the system's store),
//! else `PGSSLROOTCERT`, else `~/.postgresql/root.crt`. Client certificates
//! (`sslcert`, `sslkey`) are not supported and refused clearly.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// What `sslmode` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, no certificate check (`allow` and `prefer`).
    Prefer,
    /// TLS always, no certificate check unless a root certificate is given.
    Require,
    /// TLS always, the certificate chains to the root certificate.
    VerifyCa,
    /// TLS always, the certificate chains to the root and names the host.
    VerifyFull,
}

/// Where trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// A PEM file.
    File(PathBuf),
    /// The system's store (`sslrootcert=system`).
    System,
}

/// TLS settings read from a URL and the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tls {
    pub mode: SslMode,
    /// Roots to verify with, when the mode verifies.
    pub roots: Option<Roots>,
}

/// Splits the TLS parameters the driver does not know (`verify-*`, `sslrootcert`)
/// off the URL: returns the URL the driver can read and the TLS settings.
pub(crate) fn split(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Tls), String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut mode = None;
    let mut root = None;
    let mut kept: Vec<&str> = Vec::new();
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "sslmode" => mode = Some(v.to_string()),
            "sslrootcert" => root = Some(crate::conn::percent_decode(v)),
            "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" => {
                return Err(format!(
                    "`{k}` (client certificates, revocation lists) is not supported; \
                     authenticate with a password (URL, PGPASSWORD or ~/.pgpass)"
                ));
            }
            _ => kept.push(kv),
        }
    }
    let mode_text = mode
        .or_else(|| env("PGSSLMODE"))
        .unwrap_or_else(|| "prefer".into());
    let mode = match mode_text.as_str() {
        "disable" => SslMode::Disable,
        "allow" | "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        other => {
            return Err(format!(
                "unknown sslmode `{other}`: expected disable, allow, prefer, require, verify-ca or verify-full"
            ));
        }
    };
    let root = root.or_else(|| env("PGSSLROOTCERT"));
    let roots = match root.as_deref() {
        Some("system") => Some(Roots::System),
        Some(p) => Some(Roots::File(PathBuf::from(p))),
        None => env("HOME")
            .map(|h| PathBuf::from(h).join(".postgresql/root.crt"))
            .filter(|p| p.exists())
            .map(Roots::File),
    };
    kept.push(match mode {
        SslMode::Disable => "sslmode=disable",
        SslMode::Prefer => "sslmode=prefer",
        _ => "sslmode=require",
    });
    let url = format!("{base}?{}", kept.join("&"));
    Ok((url, Tls { mode, roots }))
}

/// The rustls client configuration for these settings (`None` for `disable`).
pub(crate) fn client_config(tls: &Tls) -> Result<Option<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verify_chain = match tls.mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer => false,
        SslMode::Require => tls.roots.is_some(),
        SslMode::VerifyCa | SslMode::VerifyFull => true,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?;
    let config = if verify_chain {
        let roots = load_roots(tls.roots.as_ref())?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("TLS set-up: {e}"))?;
        let check_name = tls.mode == SslMode::VerifyFull;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier { webpki, check_name }))
            .with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCert(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth()
    };
    Ok(Some(config))
}

fn load_roots(roots: Option<&Roots>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots {
        None => {
            return Err(
                "this sslmode verifies the server's certificate but no root certificate is given: \
                 add `sslrootcert=PATH` (PEM) or `sslrootcert=system` to the URL, set PGSSLROOTCERT, \
                 or put the CA in ~/.postgresql/root.crt"
                    .into(),
            );
        }
        Some(Roots::System) => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = store.add(c);
            }
            if store.is_empty() {
                return Err("sslrootcert=system: the system has no trusted certificates".into());
            }
        }
        Some(Roots::File(path)) => {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
            let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("sslrootcert {} is not PEM: {e}", path.display()))?;
            for c in certs {
                store
                    .add(c)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
            if store.is_empty() {
                return Err(format!(
                    "sslrootcert {} holds no certificate",
                    path.display()
                ));
            }
        }
    }
    Ok(store)
}

/// `verify-ca` and `verify-full`: the chain always, the host name for `verify-full`.
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            // The chain was checked before the name: verify-ca accepts any name.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a root: encrypted, the certificate unchecked
/// (libpq's meaning), the handshake signatures still checked.
#[derive(Debug)]
struct AnyCert(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn verify_modes_are_split_off_for_the_driver() {
        let (url, tls) = split(
            "postgres://u:p@h/d?sslmode=verify-full&sslrootcert=/etc/ca%20x.pem&application_name=a",
            &none,
        )
        .expect("split");
        assert_eq!(url, "postgres://u:p@h/d?application_name=a&sslmode=require");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.roots, Some(Roots::File("/etc/ca x.pem".into())));
        let (url, tls) = split("postgres://h/d", &none).expect("split");
        assert_eq!(url, "postgres://h/d?sslmode=prefer");
        assert_eq!((tls.mode, tls.roots), (SslMode::Prefer, None));
        let env = |k: &str| (k == "PGSSLMODE").then(|| "verify-ca".to_string());
        assert_eq!(
            split("postgres://h/d", &env).expect("env").1.mode,
            SslMode::VerifyCa
        );
        assert!(split("postgres://h/d?sslmode=bogus", &none).is_err());
        assert!(split("postgres://h/d?sslcert=c.pem", &none).is_err());
    }

    #[test]
    fn verifying_without_a_root_is_refused_with_the_way_out() {
        let tls = Tls {
            mode: SslMode::VerifyFull,
            roots: None,
        };
        let e = client_config(&tls).expect_err("no root");
        assert!(e.contains("sslrootcert"), "{e}");
        let tls = Tls {
            mode: SslMode::Require,
            roots: None,
        };
        assert!(client_config(&tls).expect("require").is_some());
    }
}
