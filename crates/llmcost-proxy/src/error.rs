//! Errors: configuration errors (returned to the binary) and the errors the
//! proxy itself answers with, in the OpenAI error envelope
//! `{"error":{"message","type","param","code"}}`. Upstream errors are never
//! wrapped: they are passed through unchanged.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

/// A configuration or start-up error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file is not valid TOML or has unknown keys.
    #[error("invalid config: {0}")]
    Toml(String),
    /// A value is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The ledger could not be read at start (budget spend).
    #[error("reading the ledger: {0}")]
    Ledger(#[from] llmcost_ledger::LedgerError),
    /// The TLS roots or the HTTP client could not be set up.
    #[error("setting up the upstream client: {0}")]
    Client(String),
    /// The writer thread could not be started.
    #[error("starting the ledger writer: {0}")]
    Io(#[from] std::io::Error),
}

/// An error the proxy answers with itself.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// No upstream serves the path.
    #[error("no upstream serves `{path}`: use /<upstream>/... with one of: {known}")]
    NoUpstream {
        /// The path asked for.
        path: String,
        /// Known upstream names.
        known: String,
    },
    /// A budget is spent.
    #[error("{message}")]
    BudgetExceeded {
        /// Which budget, how much, when it resets.
        message: String,
        /// Seconds until the period resets.
        retry_after_s: u64,
    },
    /// The request body could not be read or is too large.
    #[error("{0}")]
    BadRequest(String),
    /// The request body is larger than the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The proxy cannot record calls (ledger and spill file both fail) and refuses new ones.
    #[error("{0}")]
    Unavailable(String),
    /// The upstream could not be reached or failed mid-response.
    #[error("upstream `{upstream}` failed: {message}")]
    Upstream {
        /// Upstream name.
        upstream: String,
        /// What failed (no secrets).
        message: String,
    },
}

impl ProxyError {
    /// HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::NoUpstream { .. } => StatusCode::NOT_FOUND,
            ProxyError::BudgetExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            ProxyError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ProxyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ProxyError::Upstream { .. } => StatusCode::BAD_GATEWAY,
        }
    }

    /// Low-cardinality label for metrics and the envelope's `type` / `code`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            ProxyError::NoUpstream { .. } => "no_upstream",
            ProxyError::BudgetExceeded { .. } => "budget_exceeded",
            ProxyError::BadRequest(_) => "invalid_request_error",
            ProxyError::TooLarge(_) => "request_too_large",
            ProxyError::Unavailable(_) => "ledger_unavailable",
            ProxyError::Upstream { .. } => "upstream_error",
        }
    }

    /// The OpenAI-style error body.
    #[must_use]
    pub fn body(&self) -> String {
        let ty = match self {
            ProxyError::BudgetExceeded { .. } => "insufficient_quota",
            ProxyError::BadRequest(_) | ProxyError::TooLarge(_) | ProxyError::NoUpstream { .. } => {
                "invalid_request_error"
            }
            ProxyError::Upstream { .. } | ProxyError::Unavailable(_) => "api_error",
        };
        serde_json::json!({
            "error": {
                "message": self.to_string(),
                "type": ty,
                "param": null,
                "code": self.kind(),
            }
        })
        .to_string()
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let mut r = Response::new(axum::body::Body::from(Bytes::from(self.body())));
        *r.status_mut() = self.status();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if matches!(self, ProxyError::Unavailable(_)) {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let ProxyError::BudgetExceeded { retry_after_s, .. } = &self {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
        }
        r
    }
}
