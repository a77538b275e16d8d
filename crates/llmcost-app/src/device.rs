//! The device a record names: the machine an import runs on, or the proxy
//! instance that metered the call (`UsageRecord::device`).

/// This machine's host name, or `None` when the system does not say.
#[must_use]
pub fn host_name() -> Option<String> {
    whoami::hostname()
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// The device of an import: `--device NAME` when given, else the host name
/// (`unknown-host` when the system does not give one).
#[must_use]
pub fn import_device(flag: Option<&str>) -> String {
    match flag.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d.to_string(),
        None => host_name().unwrap_or_else(|| "unknown-host".into()),
    }
}

/// The device of a proxy's records: `--instance NAME` when given, else
/// `proxy@<host name>:<port>` (each proxy of a fleet on one machine differs
/// by its port).
#[must_use]
pub fn proxy_instance(flag: Option<&str>, port: Option<u16>) -> String {
    if let Some(d) = flag.map(str::trim).filter(|d| !d.is_empty()) {
        return d.to_string();
    }
    let host = host_name().unwrap_or_else(|| "unknown-host".into());
    match port {
        Some(p) => format!("proxy@{host}:{p}"),
        None => format!("proxy@{host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_wins_and_blank_means_default() {
        assert_eq!(import_device(Some("laptop-7")), "laptop-7");
        assert_eq!(proxy_instance(Some(" edge-1 "), Some(8787)), "edge-1");
        let host = host_name().unwrap_or_else(|| "unknown-host".into());
        assert_eq!(import_device(Some("  ")), host);
        assert_eq!(import_device(None), host);
        assert_eq!(
            proxy_instance(None, Some(8787)),
            format!("proxy@{host}:8787")
        );
    }
}
