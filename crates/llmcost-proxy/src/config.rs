//! Proxy settings: the TOML config file (raw form), the command-line
//! `--upstream` / `--budget` items, and the resolved [`Settings`] the proxy
//! runs with.
//!
//! Precedence: `--upstream` / `--budget` on the command line > the config file >
//! the built-in upstreams. Defaults live in one place: the `Default` impls.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use llmcost_core::{Currency, Decimal};
use serde::Deserialize;

use crate::budget::{BudgetRule, Period, Scope};
use crate::error::ConfigError;

/// The API convention an upstream speaks: decides the auth header an injected key
/// goes in, whether `stream_options.include_usage` is injected by default, and
/// the provider recorded in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProviderKind {
    /// OpenAI (Chat Completions, Completions, Embeddings, Responses); also any
    /// OpenAI-compatible server.
    #[serde(alias = "openai-compatible")]
    Openai,
    /// Anthropic Messages (`x-api-key`).
    Anthropic,
    /// DeepSeek (OpenAI-compatible).
    Deepseek,
    /// Mistral (OpenAI-compatible; always reports usage in streams).
    Mistral,
    /// xAI Grok (OpenAI-compatible).
    Xai,
    /// Google Gemini through its OpenAI-compatible endpoint.
    Gemini,
    /// OpenRouter (OpenAI-compatible; always reports usage).
    Openrouter,
}

impl ProviderKind {
    /// The stable key (as in the config file).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Deepseek => "deepseek",
            ProviderKind::Mistral => "mistral",
            ProviderKind::Xai => "xai",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Openrouter => "openrouter",
        }
    }

    /// The provider recorded in the ledger.
    #[must_use]
    pub fn provider(self) -> &'static str {
        match self {
            ProviderKind::Gemini => "google",
            k => k.key(),
        }
    }

    /// Whether streaming OpenAI-style requests get `stream_options.include_usage`
    /// by default: on for providers that need it to report usage in a stream
    /// (OpenAI, DeepSeek, xAI, Gemini), off where usage is always sent (Mistral,
    /// OpenRouter) or the field does not exist (Anthropic).
    #[must_use]
    pub fn injects_include_usage(self) -> bool {
        matches!(
            self,
            ProviderKind::Openai
                | ProviderKind::Deepseek
                | ProviderKind::Xai
                | ProviderKind::Gemini
        )
    }

    /// The built-in upstream of that name, if any: (kind, base URL).
    #[must_use]
    pub fn builtin(name: &str) -> Option<(ProviderKind, &'static str)> {
        BUILTIN
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, k, u)| (k, u))
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for ProviderKind {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "openai" | "openai-compatible" => ProviderKind::Openai,
            "anthropic" => ProviderKind::Anthropic,
            "deepseek" => ProviderKind::Deepseek,
            "mistral" => ProviderKind::Mistral,
            "xai" => ProviderKind::Xai,
            "gemini" | "google" => ProviderKind::Gemini,
            "openrouter" => ProviderKind::Openrouter,
            other => {
                return Err(ConfigError::Invalid(format!(
                    "unknown provider kind `{other}` (expected openai, anthropic, deepseek, mistral, xai, gemini or openrouter)"
                )));
            }
        })
    }
}

/// The upstreams every proxy knows unless the config turns them off:
/// name, kind, base URL. A client reaches one at `/<name>/...`.
pub const BUILTIN: &[(&str, ProviderKind, &str)] = &[
    ("openai", ProviderKind::Openai, "https://api.openai.com"),
    (
        "anthropic",
        ProviderKind::Anthropic,
        "https://api.anthropic.com",
    ),
    (
        "deepseek",
        ProviderKind::Deepseek,
        "https://api.deepseek.com",
    ),
    ("mistral", ProviderKind::Mistral, "https://api.mistral.ai"),
    ("xai", ProviderKind::Xai, "https://api.x.ai"),
    (
        "gemini",
        ProviderKind::Gemini,
        "https://generativelanguage.googleapis.com/v1beta/openai",
    ),
    (
        "openrouter",
        ProviderKind::Openrouter,
        "https://openrouter.ai/api",
    ),
];

/// The config file, as written (`--config FILE`). Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    /// `HOST:PORT` to listen on (`--listen` wins).
    pub listen: Option<String>,
    /// Currency records are priced in and budgets default to.
    pub currency: Option<String>,
    /// Whether the built-in upstreams (openai, anthropic, ...) are served.
    pub builtin_upstreams: Option<bool>,
    /// Name of the upstream that serves paths without an upstream prefix.
    pub default_upstream: Option<String>,
    /// Default for injecting `stream_options.include_usage` into streaming
    /// requests of upstreams whose kind needs it.
    pub include_usage: Option<bool>,
    /// Whether calls to routes that carry no usage are recorded (with no usage).
    pub record_unmetered: Option<bool>,
    /// Ledger writer: bounded queue length.
    pub queue_capacity: Option<usize>,
    /// Ledger writer: most records per insert.
    pub batch_size: Option<usize>,
    /// Ledger writer: longest a record waits before its batch is written (ms).
    pub flush_interval_ms: Option<u64>,
    /// Upstream connect timeout (ms).
    pub connect_timeout_ms: Option<u64>,
    /// Largest request body read on metered routes (bytes); 413 beyond.
    pub max_request_body: Option<usize>,
    /// Largest non-streaming response body read on metered routes (bytes); 502 beyond.
    pub max_response_body: Option<usize>,
    /// Bound of the spill file next to the ledger (bytes, reserved at start).
    pub spill_max_bytes: Option<u64>,
    /// What happens once records can be neither written nor spilled: `refuse` or `serve`.
    pub spill_full: Option<String>,
    /// Longest a shutdown waits for calls in flight (ms).
    pub drain_timeout_ms: Option<u64>,
    /// Longest the proxy keeps reading a stream the client abandoned, for its usage (ms).
    pub abandoned_stream_drain_ms: Option<u64>,
    /// Exchange rates for budgets in currencies without a price list: `EUR = "0.92"` (per 1 USD).
    pub fx: std::collections::BTreeMap<String, String>,
    /// Extra CA certificates (PEM) trusted for HTTPS upstreams.
    pub ca_file: Option<std::path::PathBuf>,
    /// Upstreams.
    #[serde(rename = "upstream")]
    pub upstreams: Vec<FileUpstream>,
    /// Budgets.
    #[serde(rename = "budget")]
    pub budgets: Vec<FileBudget>,
}

/// One `[[upstream]]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileUpstream {
    /// Path prefix: clients call `/<name>/...`.
    pub name: String,
    /// Base URL; the path after the prefix is appended to it.
    pub url: String,
    /// Provider kind (default: from the name, else `openai`).
    pub kind: Option<ProviderKind>,
    /// Environment variable holding an API key to inject (replacing the client's).
    pub api_key_env: Option<String>,
    /// Inject `stream_options.include_usage` (default: by kind and the global setting).
    pub include_usage: Option<bool>,
}

/// One `[[budget]]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileBudget {
    /// `global`, `tag:NAME`, `key` (each key fingerprint on its own) or `key:FINGERPRINT`.
    pub scope: String,
    /// Limit, a decimal string (`"5"`, `"0.25"`).
    pub amount: String,
    /// Currency of the limit (default: the proxy currency).
    pub currency: Option<String>,
    /// `day` or `month` (calendar periods, in `tz`).
    pub period: String,
    /// The time zone the periods follow (IANA name, e.g. `Europe/Paris`; default UTC).
    pub tz: Option<String>,
}

impl FileConfig {
    /// Parses a config file's text.
    ///
    /// # Errors
    /// TOML syntax errors and unknown keys, with the key path.
    pub fn parse(text: &str) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))
    }
}

/// An API key: `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    /// The key itself, for the one place that sends it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A resolved upstream.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Path prefix (`deepseek`); the default upstream of a bare `--upstream URL` is `default`.
    pub name: String,
    /// Provider kind.
    pub kind: ProviderKind,
    /// `http` or `https`.
    pub scheme: http::uri::Scheme,
    /// `host[:port]`.
    pub authority: http::uri::Authority,
    /// Base path without a trailing `/` (`""`, `/v1beta/openai`).
    pub base_path: String,
    /// Key injected into every forwarded request, replacing the client's.
    pub api_key: Option<Secret>,
    /// Inject `stream_options.include_usage` into streaming OpenAI-style requests.
    pub include_usage: bool,
}

impl Upstream {
    /// An upstream from a base URL.
    ///
    /// # Errors
    /// A URL that is not `http(s)://host[:port][/path]`.
    pub fn new(name: &str, url: &str, kind: ProviderKind) -> Result<Upstream, ConfigError> {
        let uri: http::Uri = url.trim().parse().map_err(|_| {
            ConfigError::Invalid(format!("upstream `{name}`: `{url}` is not a URL"))
        })?;
        let scheme = uri.scheme().cloned().ok_or_else(|| {
            ConfigError::Invalid(format!(
                "upstream `{name}`: `{url}` needs a scheme (http:// or https://)"
            ))
        })?;
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(ConfigError::Invalid(format!(
                "upstream `{name}`: `{url}`: only http and https are supported"
            )));
        }
        let authority = uri.authority().cloned().ok_or_else(|| {
            ConfigError::Invalid(format!("upstream `{name}`: `{url}` has no host"))
        })?;
        if uri.query().is_some() {
            return Err(ConfigError::Invalid(format!(
                "upstream `{name}`: `{url}`: a base URL cannot have a query"
            )));
        }
        Ok(Upstream {
            name: name.to_string(),
            kind,
            scheme,
            authority,
            base_path: uri.path().trim_end_matches('/').to_string(),
            api_key: None,
            include_usage: kind.injects_include_usage(),
        })
    }

    /// The base URL, for logs and messages.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.base_path)
    }
}

/// Settings of the ledger writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterSettings {
    /// Bounded queue between requests and the writer; a full queue drops (and counts) records.
    pub queue_capacity: usize,
    /// Most records per insert transaction.
    pub batch_size: usize,
    /// The longest a record waits in the writer before its batch is written.
    pub flush_interval: Duration,
    /// Rows the ledger writes between two moments it gives up the CPU (0:
    /// never), so that a call waiting for the writer's core waits microseconds.
    pub yield_every: usize,
}

impl Default for WriterSettings {
    fn default() -> Self {
        WriterSettings {
            queue_capacity: 65_536,
            batch_size: 1_000,
            flush_interval: Duration::from_millis(50),
            yield_every: 8,
        }
    }
}

/// The resolved settings the proxy runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Upstreams, by name.
    pub upstreams: Vec<Upstream>,
    /// Index into `upstreams` of the one serving unprefixed paths.
    pub default_upstream: Option<usize>,
    /// Currency records are priced in.
    pub currency: Currency,
    /// Budgets.
    pub budgets: Vec<BudgetRule>,
    /// Record calls to routes that carry no usage.
    pub record_unmetered: bool,
    /// Ledger writer.
    pub writer: WriterSettings,
    /// Upstream connect timeout.
    pub connect_timeout: Duration,
    /// Largest request body read on metered routes; 413 beyond.
    pub max_request_body: usize,
    /// Largest non-streaming response body read on metered routes; 502 beyond.
    pub max_response_body: usize,
    /// The spill file (`None`: records the ledger refuses are held in memory only).
    pub spill_path: Option<std::path::PathBuf>,
    /// Bound of the spill file, reserved at start.
    pub spill_max_bytes: u64,
    /// What happens once records can be neither written nor spilled.
    pub spill_full: crate::writer::SpillFull,
    /// Fleet budgets (a shared PostgreSQL ledger): what calls get while the
    /// database cannot be reached.
    pub budget_fail: crate::budget::BudgetFail,
    /// Longest a shutdown waits for calls in flight before cutting them (and
    /// recording them as incomplete).
    pub drain_timeout: Duration,
    /// Longest the proxy keeps reading a stream the client abandoned, to learn
    /// its usage (0: not at all).
    pub abandoned_stream_drain: Duration,
    /// Exchange rates: units of the currency per 1 USD, for budgets in
    /// currencies the catalog has no price list in.
    pub fx: Vec<(Currency, Decimal)>,
    /// Extra CA certificates (PEM) trusted for HTTPS upstreams.
    pub ca_file: Option<std::path::PathBuf>,
    /// Outbound proxy for HTTPS upstreams (`HTTPS_PROXY`, `NO_PROXY`).
    pub outbound: crate::client::OutboundProxy,
    /// The device every record names: this proxy instance (`None`: none).
    pub device: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            upstreams: Vec::new(),
            default_upstream: None,
            currency: Currency::USD,
            budgets: Vec::new(),
            record_unmetered: true,
            writer: WriterSettings::default(),
            connect_timeout: Duration::from_secs(10),
            max_request_body: 32 << 20,
            max_response_body: 64 << 20,
            spill_path: None,
            spill_max_bytes: 16 << 20,
            spill_full: crate::writer::SpillFull::Refuse,
            budget_fail: crate::budget::BudgetFail::Open,
            drain_timeout: Duration::from_secs(10),
            abandoned_stream_drain: Duration::from_secs(10),
            fx: Vec::new(),
            ca_file: None,
            outbound: crate::client::OutboundProxy::default(),
            device: None,
        }
    }
}

/// Command-line items layered over the file.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--upstream` values.
    pub upstreams: Vec<String>,
    /// `--budget` values.
    pub budgets: Vec<String>,
    /// `--fx CUR=RATE` values.
    pub fx: Vec<String>,
}

impl Settings {
    /// Settings for tests: no built-in upstreams, a fast writer.
    #[must_use]
    pub fn for_tests() -> Settings {
        Settings {
            writer: WriterSettings {
                queue_capacity: 10_000,
                batch_size: 100,
                flush_interval: Duration::from_millis(5),
                yield_every: 8,
            },
            ..Settings::default()
        }
    }

    /// Resolves the file and the command line into settings. `env` looks up
    /// the variables named by `api-key-env`.
    ///
    /// # Errors
    /// Invalid URLs, kinds, budgets, currencies, a missing key variable, an
    /// unknown default upstream.
    pub fn resolve(
        file: &FileConfig,
        cli: &CliOverrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let mut s = Settings::default();
        if let Some(c) = &file.currency {
            s.currency =
                Currency::new(c).map_err(|e| ConfigError::Invalid(format!("currency: {e}")))?;
        }
        let include_default = file.include_usage;
        if file.builtin_upstreams.unwrap_or(true) {
            for &(name, kind, url) in BUILTIN {
                let mut u = Upstream::new(name, url, kind)?;
                if let Some(v) = include_default {
                    u.include_usage = v && kind.injects_include_usage();
                }
                s.upstreams.push(u);
            }
        }
        for fu in &file.upstreams {
            let name = check_name(&fu.name)?;
            let kind = fu
                .kind
                .or_else(|| ProviderKind::builtin(name).map(|b| b.0))
                .unwrap_or(ProviderKind::Openai);
            let mut u = Upstream::new(name, &fu.url, kind)?;
            if let Some(var) = &fu.api_key_env {
                let key = env(var).filter(|v| !v.is_empty()).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "upstream `{name}`: environment variable `{var}` (api-key-env) is not set"
                    ))
                })?;
                u.api_key = Some(Secret::new(key));
            }
            u.include_usage = fu
                .include_usage
                .or(include_default.map(|v| v && kind.injects_include_usage()))
                .unwrap_or(u.include_usage);
            s.put_upstream(u);
        }
        for item in &cli.upstreams {
            let (u, is_default) = parse_upstream_arg(item)?;
            let mut u = u;
            if let Some(v) = include_default {
                u.include_usage = v && u.kind.injects_include_usage();
            }
            let name = u.name.clone();
            s.put_upstream(u);
            if is_default {
                s.default_upstream = s.upstreams.iter().position(|x| x.name == name);
            }
        }
        if s.default_upstream.is_none()
            && let Some(d) = &file.default_upstream
        {
            s.default_upstream = Some(s.upstreams.iter().position(|x| &x.name == d).ok_or_else(
                || {
                    ConfigError::Invalid(format!(
                        "default-upstream `{d}` is not a configured upstream"
                    ))
                },
            )?);
        }
        if let Some(v) = file.record_unmetered {
            s.record_unmetered = v;
        }
        if let Some(v) = file.queue_capacity {
            s.writer.queue_capacity = v.max(1);
        }
        if let Some(v) = file.batch_size {
            s.writer.batch_size = v.max(1);
        }
        if let Some(v) = file.flush_interval_ms {
            s.writer.flush_interval = Duration::from_millis(v);
        }
        if let Some(v) = file.connect_timeout_ms {
            s.connect_timeout = Duration::from_millis(v.max(1));
        }
        if let Some(v) = file.max_request_body {
            s.max_request_body = v;
        }
        if let Some(v) = file.max_response_body {
            s.max_response_body = v;
        }
        if let Some(v) = file.spill_max_bytes {
            s.spill_max_bytes = v;
        }
        if let Some(v) = &file.spill_full {
            s.spill_full = match v.trim() {
                "refuse" => crate::writer::SpillFull::Refuse,
                "serve" => crate::writer::SpillFull::Serve,
                other => {
                    return Err(ConfigError::Invalid(format!(
                        "spill-full `{other}`: expected `refuse` or `serve`"
                    )));
                }
            };
        }
        if let Some(v) = file.drain_timeout_ms {
            s.drain_timeout = Duration::from_millis(v);
        }
        if let Some(v) = file.abandoned_stream_drain_ms {
            s.abandoned_stream_drain = Duration::from_millis(v);
        }
        s.ca_file.clone_from(&file.ca_file);
        let var = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
        };
        s.outbound = crate::client::OutboundProxy {
            https_proxy: var(["HTTPS_PROXY", "https_proxy"]),
            no_proxy: var(["NO_PROXY", "no_proxy"]),
        };
        for (cur, rate) in &file.fx {
            s.put_fx(parse_fx(&format!("{cur}={rate}"))?);
        }
        for item in &cli.fx {
            s.put_fx(parse_fx(item)?);
        }
        for b in &file.budgets {
            let currency = match &b.currency {
                Some(c) => Currency::new(c)
                    .map_err(|e| ConfigError::Invalid(format!("budget `{}`: {e}", b.scope)))?,
                None => s.currency,
            };
            let amount = parse_amount(&b.amount)
                .map_err(|m| ConfigError::Invalid(format!("budget `{}`: {m}", b.scope)))?;
            s.budgets.push(BudgetRule {
                scope: b.scope.parse()?,
                limit: amount,
                currency,
                period: b.period.parse()?,
                tz: b
                    .tz
                    .as_deref()
                    .map(parse_tz)
                    .transpose()
                    .map_err(|m| ConfigError::Invalid(format!("budget `{}`: {m}", b.scope)))?,
            });
        }
        for item in &cli.budgets {
            s.budgets.push(parse_budget_arg(item, s.currency)?);
        }
        Ok(s)
    }

    fn put_fx(&mut self, (c, r): (Currency, Decimal)) {
        self.fx.retain(|x| x.0 != c);
        self.fx.push((c, r));
    }

    /// The exchange rate of `currency` (units per 1 USD), if one was given.
    #[must_use]
    pub fn fx_rate(&self, currency: Currency) -> Option<Decimal> {
        self.fx.iter().find(|x| x.0 == currency).map(|x| x.1)
    }

    fn put_upstream(&mut self, u: Upstream) {
        if let Some(i) = self.upstreams.iter().position(|x| x.name == u.name) {
            self.upstreams[i] = u;
        } else {
            self.upstreams.push(u);
        }
    }
}

fn check_name(name: &str) -> Result<&str, ConfigError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok && name != "health" && name != "metrics" {
        Ok(name)
    } else {
        Err(ConfigError::Invalid(format!(
            "upstream name `{name}`: use letters, digits, `-`, `_` or `.` (and not `health` or `metrics`)"
        )))
    }
}

/// Parses `--upstream`: `NAME=URL`, `NAME=URL,kind=KIND`, or a bare `URL`
/// (the default upstream, kind openai, serving unprefixed paths). Returns the
/// upstream and whether it is the default one.
///
/// # Errors
/// A malformed item.
pub fn parse_upstream_arg(item: &str) -> Result<(Upstream, bool), ConfigError> {
    let mut parts = item.split(',');
    let head = parts.next().unwrap_or_default().trim();
    let (name, url, is_default) = if head.starts_with("http://") || head.starts_with("https://") {
        ("default", head, true)
    } else {
        let (n, u) = head.split_once('=').ok_or_else(|| {
            ConfigError::Invalid(format!(
                "--upstream `{item}`: expected NAME=URL[,kind=KIND] or a bare URL"
            ))
        })?;
        (check_name(n.trim())?, u.trim(), false)
    };
    let mut kind = ProviderKind::builtin(name).map_or(ProviderKind::Openai, |b| b.0);
    let mut include: Option<bool> = None;
    let mut key_env: Option<String> = None;
    for opt in parts {
        let (k, v) = opt.split_once('=').ok_or_else(|| {
            ConfigError::Invalid(format!("--upstream `{item}`: `{opt}` is not KEY=VALUE"))
        })?;
        match k.trim() {
            "kind" => kind = v.parse()?,
            "include-usage" | "include_usage" => {
                include = Some(parse_bool(v).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "--upstream `{item}`: include-usage must be true or false"
                    ))
                })?);
            }
            "api-key-env" | "api_key_env" => key_env = Some(v.trim().to_string()),
            other => {
                return Err(ConfigError::Invalid(format!(
                    "--upstream `{item}`: unknown option `{other}` (expected kind, include-usage or api-key-env)"
                )));
            }
        }
    }
    let mut u = Upstream::new(name, url, kind)?;
    if let Some(v) = include {
        u.include_usage = v;
    }
    if let Some(var) = key_env {
        let key = std::env::var(&var)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "--upstream `{item}`: environment variable `{var}` is not set"
                ))
            })?;
        u.api_key = Some(Secret::new(key));
    }
    Ok((u, is_default))
}

/// Parses `--fx CUR=RATE`: RATE units of CUR per 1 USD (`EUR=0.92`).
///
/// # Errors
/// A malformed item, an unknown currency, a rate that is not positive.
pub fn parse_fx(item: &str) -> Result<(Currency, Decimal), ConfigError> {
    let bad = |why: String| {
        ConfigError::Invalid(format!(
            "--fx `{item}`: {why} (expected CUR=RATE, the units of CUR per 1 USD, e.g. EUR=0.92)"
        ))
    };
    let (c, r) = item.split_once('=').ok_or_else(|| bad("no `=`".into()))?;
    let cur = Currency::new(c.trim()).map_err(|e| bad(e.to_string()))?;
    let rate: Decimal = r
        .trim()
        .parse()
        .map_err(|_| bad(format!("`{}` is not a decimal rate", r.trim())))?;
    if rate <= Decimal::ZERO {
        return Err(bad(format!("the rate `{rate}` must be positive")));
    }
    Ok((cur, rate))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

fn parse_amount(s: &str) -> Result<Decimal, String> {
    let d: Decimal = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a decimal amount"))?;
    if d < Decimal::ZERO {
        return Err(format!("`{s}` is negative"));
    }
    Ok(d)
}

/// A budget's time zone: an IANA name (`Europe/Paris`) or `UTC`.
fn parse_tz(name: &str) -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::TimeZone::get(name.trim()).map_err(|e| {
        format!("unknown time zone `{name}` ({e}); give an IANA name such as Europe/Paris or UTC")
    })
}

/// Parses `--budget SCOPE=AMOUNT/PERIOD[@TZ]`: `global=5USD/day`,
/// `tag:ci=20USD/month`, `key=1USD/day`, `key:3f2a9c1b7d4e=2.5/day` (no
/// currency: the proxy's), `global=5USD/day@Europe/Paris` (periods in that
/// time zone; UTC by default).
///
/// # Errors
/// A malformed item.
pub fn parse_budget_arg(item: &str, default_currency: Currency) -> Result<BudgetRule, ConfigError> {
    let bad = |why: &str| {
        ConfigError::Invalid(format!(
            "--budget `{item}`: {why} (expected SCOPE=AMOUNT/PERIOD such as global=5USD/day, tag:ci=20USD/month or key=1USD/day)"
        ))
    };
    let (scope, rest) = item.split_once('=').ok_or_else(|| bad("no `=`"))?;
    let (rest, tz) = match rest.split_once('@') {
        Some((r, z)) => (r, Some(parse_tz(z).map_err(|m| bad(&m))?)),
        None => (rest, None),
    };
    let (amount, period) = rest.rsplit_once('/').ok_or_else(|| bad("no `/PERIOD`"))?;
    let amount = amount.trim();
    let split = amount
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(amount.len());
    let (num, cur) = amount.split_at(split);
    let limit = parse_amount(num).map_err(|m| bad(&m))?;
    let currency = if cur.trim().is_empty() {
        default_currency
    } else {
        Currency::new(cur).map_err(|e| bad(&e.to_string()))?
    };
    Ok(BudgetRule {
        scope: scope
            .parse()
            .map_err(|e: ConfigError| bad(&e.to_string()))?,
        limit,
        currency,
        period: period
            .parse()
            .map_err(|e: ConfigError| bad(&e.to_string()))?,
        tz,
    })
}

impl FromStr for Scope {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Scope, ConfigError> {
        let s = s.trim();
        match s.split_once(':') {
            None if s == "global" => Ok(Scope::Global),
            None if s == "key" => Ok(Scope::EachKey),
            Some(("tag", t)) if !t.is_empty() => Ok(Scope::Tag(t.to_string())),
            Some(("key", k)) if !k.is_empty() => Ok(Scope::Key(k.to_string())),
            _ => Err(ConfigError::Invalid(format!(
                "unknown budget scope `{s}` (expected global, key, key:FINGERPRINT or tag:NAME)"
            ))),
        }
    }
}

impl FromStr for Period {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Period, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" | "d" => Ok(Period::Day),
            "month" | "monthly" | "mo" => Ok(Period::Month),
            other => Err(ConfigError::Invalid(format!(
                "unknown budget period `{other}` (expected day or month)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_may_name_its_time_zone() {
        let b =
            parse_budget_arg("tag:ci=20USD/month@America/New_York", Currency::USD).expect("budget");
        assert_eq!(b.to_string(), "tag:ci=20USD/month@America/New_York");
        assert_eq!(b.period, Period::Month);
        let e = parse_budget_arg("global=5USD/day@Mars/Olympus", Currency::USD).expect_err("tz");
        assert!(
            e.to_string().contains("unknown time zone `Mars/Olympus`"),
            "{e}"
        );
        assert!(
            parse_budget_arg("global=5USD/day", Currency::USD)
                .expect("utc")
                .tz
                .is_none()
        );
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn budget_args_parse() {
        let b = parse_budget_arg("global=5USD/day", Currency::USD).expect("parses");
        assert_eq!(b.scope, Scope::Global);
        assert_eq!(b.limit, Decimal::from(5));
        assert_eq!(b.period, Period::Day);
        let b = parse_budget_arg("tag:ci=20USD/month", Currency::USD).expect("parses");
        assert_eq!(b.scope, Scope::Tag("ci".into()));
        assert_eq!(b.period, Period::Month);
        let b = parse_budget_arg("key=0.25CNY/day", Currency::USD).expect("parses");
        assert_eq!(b.scope, Scope::EachKey);
        assert_eq!(b.limit, "0.25".parse::<Decimal>().expect("dec"));
        assert_eq!(b.currency, Currency::CNY);
        let b = parse_budget_arg("key:abc=3/day", Currency::EUR).expect("parses");
        assert_eq!(b.currency, Currency::EUR);
        assert_eq!(b.scope, Scope::Key("abc".into()));
        for bad in [
            "global",
            "global=5USD",
            "galaxy=5USD/day",
            "global=-1USD/day",
            "global=5USD/week",
            "global=xUSD/day",
        ] {
            assert!(parse_budget_arg(bad, Currency::USD).is_err(), "{bad}");
        }
    }

    #[test]
    fn upstream_args_parse() {
        let (u, d) = parse_upstream_arg("http://127.0.0.1:18080").expect("parses");
        assert!(d);
        assert_eq!(u.name, "default");
        assert_eq!(u.kind, ProviderKind::Openai);
        assert_eq!(u.base_path, "");
        let (u, d) =
            parse_upstream_arg("ds=https://api.deepseek.com/,kind=deepseek").expect("parses");
        assert!(!d);
        assert_eq!((u.name.as_str(), u.kind), ("ds", ProviderKind::Deepseek));
        assert_eq!(u.base_url(), "https://api.deepseek.com");
        let (u, _) = parse_upstream_arg("anthropic=http://127.0.0.1:9/x/").expect("parses");
        assert_eq!(u.kind, ProviderKind::Anthropic);
        assert_eq!(u.base_path, "/x");
        assert!(!u.include_usage);
        assert!(parse_upstream_arg("x=ftp://a").is_err());
        assert!(parse_upstream_arg("x=http://a,kind=nope").is_err());
        assert!(parse_upstream_arg("metrics=http://a").is_err());
        assert!(parse_upstream_arg("noequals").is_err());
    }

    #[test]
    fn file_config_rejects_unknown_keys() {
        let e =
            FileConfig::parse("listen = \"127.0.0.1:1\"\nlisen = 3\n").expect_err("unknown key");
        assert!(e.to_string().contains("lisen"), "{e}");
    }

    #[test]
    fn example_config_resolves() {
        let file = FileConfig::parse(crate::EXAMPLE_CONFIG).expect("example parses");
        let env = |v: &str| (v == "DEEPSEEK_API_KEY").then(|| "sk-test".to_string());
        let s = Settings::resolve(&file, &CliOverrides::default(), &env).expect("resolves");
        let ds = s
            .upstreams
            .iter()
            .find(|u| u.name == "deepseek")
            .expect("deepseek");
        assert_eq!(ds.api_key.as_ref().map(Secret::expose), Some("sk-test"));
        assert_eq!(format!("{:?}", ds.api_key), "Some(Secret([redacted]))");
        assert_eq!(s.budgets.len(), 3);
        assert_eq!(s.writer.flush_interval, Duration::from_millis(50));
        assert_eq!(s.spill_full, crate::writer::SpillFull::Refuse);
        assert_eq!(s.spill_max_bytes, 16 << 20);
        assert_eq!(s.drain_timeout, Duration::from_secs(10));
        assert!(s.fx.is_empty());
        let missing =
            Settings::resolve(&file, &CliOverrides::default(), &no_env).expect_err("no key");
        assert!(
            missing.to_string().contains("DEEPSEEK_API_KEY"),
            "{missing}"
        );
    }

    #[test]
    fn fx_and_spill_settings_from_the_file_and_the_command_line() {
        let file = FileConfig::parse(
            "spill-full = \"serve\"\ndrain-timeout-ms = 250\n[fx]\nEUR = \"0.92\"\nGBP = \"0.8\"\n",
        )
        .expect("parses");
        let cli = CliOverrides {
            fx: vec!["GBP=0.79".into()],
            ..CliOverrides::default()
        };
        let s = Settings::resolve(&file, &cli, &no_env).expect("resolves");
        assert_eq!(s.spill_full, crate::writer::SpillFull::Serve);
        assert_eq!(s.drain_timeout, Duration::from_millis(250));
        let eur = Currency::new("EUR").expect("EUR");
        let gbp = Currency::new("GBP").expect("GBP");
        assert_eq!(s.fx_rate(eur), Some(Decimal::new(92, 2)));
        // The command line wins.
        assert_eq!(s.fx_rate(gbp), Some(Decimal::new(79, 2)));
        let bad = FileConfig::parse("spill-full = \"drop\"\n").expect("parses");
        assert!(Settings::resolve(&bad, &CliOverrides::default(), &no_env).is_err());
        for item in ["EUR", "EUR=x", "EUR=-1", "EU=1"] {
            assert!(parse_fx(item).is_err(), "{item}");
        }
    }

    #[test]
    fn cli_overrides_and_default_upstream() {
        let cli = CliOverrides {
            upstreams: vec![
                "http://127.0.0.1:1".into(),
                "openai=http://127.0.0.1:2".into(),
            ],
            budgets: vec!["global=1USD/day".into()],
            fx: vec![],
        };
        let s = Settings::resolve(&FileConfig::default(), &cli, &no_env).expect("resolves");
        let d = s.default_upstream.expect("default set");
        assert_eq!(s.upstreams[d].name, "default");
        let o = s
            .upstreams
            .iter()
            .find(|u| u.name == "openai")
            .expect("openai");
        assert_eq!(o.base_url(), "http://127.0.0.1:2");
        assert_eq!(s.upstreams.iter().filter(|u| u.name == "openai").count(), 1);
        assert_eq!(s.budgets.len(), 1);
    }
}
