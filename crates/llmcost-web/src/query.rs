//! Query strings: the filters every page and the report API take, named like
//! the CLI's flags (`since`, `until`, `tz`, `currency`, `fx`, `model`,
//! `project`, `tag`, `key`, `device`, `source`, `group`), so a view is a URL.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Characters left as they are in a query value.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':');

/// Pairs of a query string, decoded, in order (`+` is a space).
#[must_use]
pub fn parse(q: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = q else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_decode_str(&s).decode_utf8_lossy().into_owned()
}

/// `s` encoded for a query value.
#[must_use]
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string()
}

/// The filters of a view. Repeatable filters keep every value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// `since`: an RFC 3339 instant or a date.
    pub since: Option<String>,
    /// `until`: an instant, or a date (included whole).
    pub until: Option<String>,
    /// `tz`: IANA zone days are cut in.
    pub tz: Option<String>,
    /// `currency`.
    pub currency: Option<String>,
    /// `fx`: `CUR=RATE`, repeatable.
    pub fx: Vec<String>,
    /// `model`, repeatable.
    pub model: Vec<String>,
    /// `project`, repeatable.
    pub project: Vec<String>,
    /// `tag`, repeatable.
    pub tag: Vec<String>,
    /// `key` (fingerprint), repeatable.
    pub key: Vec<String>,
    /// `device`, repeatable.
    pub device: Vec<String>,
    /// `source`, repeatable (`proxy`, `claude`, ...).
    pub source: Vec<String>,
    /// `provider`, repeatable.
    pub provider: Vec<String>,
    /// `group`: what the chart and breakdown are stacked by (`model`,
    /// `project`, `tag`, `key`, `device`, `provider`, `source`).
    pub group: Option<String>,
    /// `period`: the chart's bars (`daily`, `weekly`, `monthly`).
    pub period: Option<String>,
}

/// Names of the filters, as in the URL.
pub const NAMES: &[&str] = &[
    "since", "until", "tz", "currency", "fx", "model", "project", "tag", "key", "device", "source",
    "provider", "group", "period",
];

impl Filters {
    /// The filters of a query string; empty values count as absent, unknown
    /// names are ignored (e.g. `token`).
    #[must_use]
    pub fn from_query(q: Option<&str>) -> Filters {
        let mut f = Filters::default();
        for (k, v) in parse(q) {
            let v = v.trim().to_string();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "since" => f.since = Some(v),
                "until" => f.until = Some(v),
                "tz" => f.tz = Some(v),
                "currency" => f.currency = Some(v.to_ascii_uppercase()),
                "fx" => f.fx.push(v),
                "model" => f.model.push(v),
                "project" => f.project.push(v),
                "tag" => f.tag.push(v),
                "key" => f.key.push(v),
                "device" => f.device.push(v),
                "source" => f.source.push(v),
                "provider" => f.provider.push(v),
                "group" => f.group = Some(v),
                "period" => f.period = Some(v),
                _ => {}
            }
        }
        f
    }

    /// Back to a query string (without `?`), in a fixed order.
    #[must_use]
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut one = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", encode(v)));
            }
        };
        one("since", &self.since);
        one("until", &self.until);
        one("tz", &self.tz);
        one("currency", &self.currency);
        one("group", &self.group);
        one("period", &self.period);
        for (k, vs) in [
            ("fx", &self.fx),
            ("model", &self.model),
            ("project", &self.project),
            ("tag", &self.tag),
            ("key", &self.key),
            ("device", &self.device),
            ("source", &self.source),
            ("provider", &self.provider),
        ] {
            for v in vs {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        parts.join("&")
    }

    /// True when a record filter beyond time, zone and currency is set.
    #[must_use]
    pub fn has_dimension_filter(&self) -> bool {
        !(self.project.is_empty()
            && self.tag.is_empty()
            && self.key.is_empty()
            && self.device.is_empty()
            && self.source.is_empty()
            && self.provider.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let f = Filters::from_query(Some(
            "since=2025-01-01&until=2025-12-31&model=gpt-4o&model=claude+sonnet%204&tz=Europe%2FParis&token=x&tag=",
        ));
        assert_eq!(f.since.as_deref(), Some("2025-01-01"));
        assert_eq!(f.model, vec!["gpt-4o", "claude sonnet 4"]);
        assert_eq!(f.tz.as_deref(), Some("Europe/Paris"));
        assert!(f.tag.is_empty());
        assert_eq!(
            f.to_query(),
            "since=2025-01-01&until=2025-12-31&tz=Europe%2FParis&model=gpt-4o&model=claude%20sonnet%204"
        );
        assert_eq!(Filters::from_query(Some(&f.to_query())), f);
    }
}
