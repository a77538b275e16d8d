//! TLS against a cluster with `ssl=on` and a certificate made here: a CA
//! signs a server certificate for `127.0.0.1` only.
#![expect(
    clippy::expect_used,
    reason = "a test: a failed expectation is a failed test"
)]

use std::path::Path;

use llmcost_ledger::Ledger;
use llmcost_ledger_postgres::PgLedger;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

use crate::cluster::{Cluster, PASSWORD};

/// A CA: its certificate (PEM) and what signs with it.
fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().expect("key");
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    (p.self_signed(&key).expect("self-signed CA"), key)
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

fn ssl(c: &PgLedger) -> bool {
    let mut client = c.client().expect("client");
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("pg_stat_ssl")
        .get(0)
}

#[test]
fn sslmodes_connect_verify_and_refuse_as_libpq_does() {
    let (ca_cert, ca_key) = ca("llmcost test CA");
    let (other_ca, _) = ca("someone else's CA");
    let server_key = KeyPair::generate().expect("server key");
    let mut sp = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
    sp.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    let server = sp
        .signed_by(&server_key, &ca_cert, &ca_key)
        .expect("server cert");
    let keys = tempfile::tempdir().expect("dir");
    let root = keys.path().join("root.crt");
    let wrong = keys.path().join("wrong.crt");
    std::fs::write(&root, ca_cert.pem()).expect("root");
    std::fs::write(&wrong, other_ca.pem()).expect("wrong");

    let c = Cluster::start_with(
        "-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key",
        |data| {
            std::fs::write(data.join("server.crt"), server.pem()).expect("cert");
            write_private(&data.join("server.key"), &server_key.serialize_pem());
        },
    );
    let url = |host: &str, query: &str| {
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/postgres?{query}",
            c.port
        )
    };
    let root_q = format!("sslrootcert={}", root.display());
    let wrong_q = format!("sslrootcert={}", wrong.display());

    // require: encrypted, the certificate not checked (no root given).
    let l = PgLedger::open(&url("127.0.0.1", "sslmode=require")).expect("require");
    assert!(ssl(&l), "require must encrypt");
    assert_eq!(l.count().expect("count"), 0);
    // prefer (the default) takes TLS when offered; disable stays plain.
    assert!(ssl(&PgLedger::open(&url("127.0.0.1", "")).expect("prefer")));
    assert!(!ssl(
        &PgLedger::open(&url("127.0.0.1", "sslmode=disable")).expect("disable")
    ));
    // verify-full with the right root: chain and name (IP 127.0.0.1) check out.
    let l = PgLedger::open(&url("127.0.0.1", &format!("sslmode=verify-full&{root_q}")))
        .expect("verify-full with the right root");
    assert!(ssl(&l));
    // verify-ca ignores the name: `localhost` is not in the certificate.
    PgLedger::open(&url("localhost", &format!("sslmode=verify-ca&{root_q}")))
        .expect("verify-ca by another name");
    let e = PgLedger::open(&url("localhost", &format!("sslmode=verify-full&{root_q}")))
        .expect_err("verify-full by a name the certificate lacks");
    let text = format!("{e}");
    assert!(text.contains("certificate"), "{text}");
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
    // The wrong root is refused, clearly, without the password.
    for mode in ["verify-full", "verify-ca", "require"] {
        let e = PgLedger::open(&url("127.0.0.1", &format!("sslmode={mode}&{wrong_q}")))
            .expect_err("wrong root must be refused");
        let text = format!("{e} | {e:?}");
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
        assert!(
            text.contains("UnknownIssuer") && text.contains("sslrootcert"),
            "{mode}: {text}"
        );
    }
    // Verifying without any root says how to give one.
    let e = PgLedger::open_with_env(&url("127.0.0.1", "sslmode=verify-full"), &|_| None)
        .expect_err("no root");
    assert!(format!("{e}").contains("sslrootcert=PATH"), "{e}");
}
