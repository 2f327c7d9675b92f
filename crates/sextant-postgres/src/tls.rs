//! TLS for `sslmode=require`: rustls, verifying the server's certificate against
//! `?sslrootcert=FILE` (PEM) when given, else the system's roots. Other modes connect
//! without TLS (so `prefer`, the default, never fails on a self-signed server).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use sextant_core::{Error, Result};
use tokio_postgres_rustls::MakeRustlsConnect;

fn bad(what: impl Into<String>) -> Error {
    Error::storage(format!("PostgreSQL TLS: {}", what.into()))
}

pub fn connector(root_cert: Option<&str>) -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| bad(format!("cannot read sslrootcert {path:?}: {e}")))?
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| bad(format!("sslrootcert {path:?} is not PEM certificates: {e}")))?;
            if certs.is_empty() {
                return Err(bad(format!("sslrootcert {path:?} holds no certificate")));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| bad(format!("sslrootcert {path:?}: {e}")))?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                // A system root rustls cannot parse is skipped, as browsers do.
                let _ = roots.add(c);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
