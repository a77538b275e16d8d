use crate::{err, ex};

fn at(json: &str) -> Option<String> {
    ex(json).at.map(|t| t.to_string())
}

const U: &str = r#""usage":{"prompt_tokens":1,"completion_tokens":1}"#;

#[test]
fn created_unix_seconds() {
    assert_eq!(
        at(&format!(r#"{{"created":1741629600,{U}}}"#)).as_deref(),
        Some("2025-03-10T18:00:00Z")
    );
}

#[test]
fn created_at_unix_seconds_or_rfc3339() {
    assert_eq!(
        at(&format!(r#"{{"created_at":1741629600,{U}}}"#)).as_deref(),
        Some("2025-03-10T18:00:00Z")
    );
    assert_eq!(
        at(&format!(
            r#"{{"created_at":"2025-03-10T19:00:00+01:00",{U}}}"#
        ))
        .as_deref(),
        Some("2025-03-10T18:00:00Z")
    );
}

#[test]
fn timestamp_rfc3339_and_millis() {
    assert_eq!(
        at(&format!(r#"{{"timestamp":"2025-03-10T18:00:00.5Z",{U}}}"#)).as_deref(),
        Some("2025-03-10T18:00:00.5Z")
    );
    assert_eq!(
        at(&format!(r#"{{"timestamp":1741629600000,{U}}}"#)).as_deref(),
        Some("2025-03-10T18:00:00Z")
    );
    assert_eq!(
        at(&format!(r#"{{"timestamp":1741629600.25,{U}}}"#)).as_deref(),
        Some("2025-03-10T18:00:00.25Z")
    );
    assert_eq!(
        at(&format!(r#"{{"timestamp":"1741629600",{U}}}"#)).as_deref(),
        Some("2025-03-10T18:00:00Z")
    );
}

#[test]
fn created_is_preferred_to_a_sibling_timestamp() {
    assert_eq!(
        at(&format!(
            r#"{{"timestamp":"2030-01-01T00:00:00Z","created":1741629600,{U}}}"#
        ))
        .as_deref(),
        Some("2025-03-10T18:00:00Z")
    );
}

#[test]
fn the_body_time_is_preferred_to_the_wrapper_time() {
    let body = format!(
        r#"{{"timestamp":"2030-01-01T00:00:00Z","response":{{"created":1741629600,{U}}}}}"#
    );
    assert_eq!(at(&body).as_deref(), Some("2025-03-10T18:00:00Z"));
}

#[test]
fn no_time_is_none() {
    assert_eq!(at(&format!("{{{U}}}")), None);
    assert_eq!(at(&format!(r#"{{"created":null,{U}}}"#)), None);
}

#[test]
fn invalid_timestamps_name_the_field() {
    let m = err(&format!(
        r#"{{"timestamp":"2025-03-10 18:00:00","response":{{{U}}}}}"#
    ));
    assert_eq!(
        m,
        r#"field `timestamp` is not a timestamp: "2025-03-10 18:00:00" (expected RFC 3339 with an offset, or unix seconds)"#
    );
    let m = err(&format!(r#"{{"response":{{"created":true,{U}}}}}"#));
    assert!(
        m.starts_with("field `response.created` is not a timestamp: a boolean"),
        "{m}"
    );
}

/// Issue 11: `created: 99999999999999` was read as milliseconds and priced in
/// year 5138. Instants outside 1970-01-01..2200-01-01 are an error naming the field.
#[test]
fn timestamps_outside_1970_to_2200_are_refused() {
    use llmcost_usage::{Error, extract};
    let body = format!(r#"{{"created":99999999999999,{U}}}"#);
    match extract(body.as_bytes()) {
        Err(Error::TimestampOutOfRange {
            field,
            value,
            read_as,
        }) => {
            assert_eq!(field, "created");
            assert_eq!(value, "99999999999999");
            // 99,999,999,999,999 ms after the epoch.
            assert!(read_as.starts_with("5138-11-16T09:46:39"), "{read_as}");
        }
        other => panic!("expected TimestampOutOfRange, got {other:?}"),
    }
    let m = err(&format!(
        r#"{{"response":{{"created_at":"2300-01-01T00:00:00Z",{U}}}}}"#
    ));
    assert!(m.contains("`response.created_at`"), "{m}");
    assert!(m.contains("out of range"), "{m}");
    assert!(err(&format!(r#"{{"created":-1,{U}}}"#)).contains("`created`"));
    // The bounds: 1970-01-01T00:00:00Z is accepted, 2200-01-01T00:00:00Z is not,
    // one second before it is.
    assert_eq!(
        at(&format!(r#"{{"created":0,{U}}}"#)).as_deref(),
        Some("1970-01-01T00:00:00Z")
    );
    assert_eq!(
        at(&format!(r#"{{"timestamp":"2199-12-31T23:59:59Z",{U}}}"#)).as_deref(),
        Some("2199-12-31T23:59:59Z")
    );
    assert!(
        err(&format!(r#"{{"timestamp":"2200-01-01T00:00:00Z",{U}}}"#)).contains("out of range")
    );
}
