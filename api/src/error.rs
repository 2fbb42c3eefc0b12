//! The one error type of the API. Client errors carry a stable code (and the field at fault);
//! internal errors are logged with their cause and reach clients only as `INTERNAL`.

use async_graphql::{ErrorExtensionValues, PathSegment};
use sea_orm::{DbErr, SqlErr};

/// Why a request is not authenticated (`extensions.reason` of UNAUTHENTICATED), so that a
/// client knows what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthFailure {
    /// No credentials were sent: sign in.
    Missing,
    /// The access token expired: refresh the session (`refreshSession`).
    TokenExpired,
    /// The session or token was signed out, revoked or ran out: sign in again.
    SessionEnded,
    /// The email and password do not match.
    WrongCredentials,
    /// The token is malformed, unknown or not signed by this server: sign in again.
    InvalidToken,
    /// The account has been deactivated by an admin.
    Deactivated,
    /// The account's address is not confirmed yet: follow the link emailed at sign-up.
    EmailUnverified,
}

/// One thing a review lacks before it can be published, as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    /// A stable name (`SUMMARY`, `WHYS`, …).
    pub code: &'static str,
    /// What to do about it, in words a UI can show.
    pub message: String,
    /// The field of `Review` it concerns (`summary`, `whys`, …).
    pub field: &'static str,
}

/// One invalid value of a request's input: where it is and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// From the argument down, in GraphQL names: `whys`, 1, `answer` (`setWhys`), `input`,
    /// `learnings`, 2 (`updateReview`). Empty for a problem of the request as a whole.
    pub path: Vec<PathSegment>,
    pub message: String,
}

impl InputProblem {
    /// The last field name of the path (`answer` for `whys[1].answer`).
    pub fn field(&self) -> Option<&str> {
        self.path.iter().rev().find_map(|segment| match segment {
            PathSegment::Field(name) => Some(name.as_str()),
            PathSegment::Index(_) => None,
        })
    }
}

/// Cloneable, so that one failure of a batch loader reaches every resolver waiting on it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Unauthenticated { reason: AuthFailure, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Every invalid value of the input at once (never empty), so that a form shows them all.
    #[error("{}", .0.iter().map(|problem| problem.message.as_str()).collect::<Vec<_>>().join("; "))]
    BadInput(Vec<InputProblem>),
    #[error("{0}")]
    Conflict(String),
    /// A subscriber that could not keep up with the events it asked for.
    #[error("{0}")]
    SlowConsumer(String),
    #[error("too many attempts; retry in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// A statement ran longer than the server allows (`--statement-timeout`) and was cancelled.
    #[error(
        "the request took longer than the server allows and was cancelled; ask for less (a narrower search, a smaller page)"
    )]
    Timeout,
    /// The database cannot be reached or has no free connection: worth retrying shortly.
    #[error("the service is unavailable for the moment; try again shortly")]
    Unavailable,
    /// The automatic persisted query named by its hash is not known here: send it again with
    /// its text (the message is the one Apollo's protocol expects).
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// A query that would cost more than `--max-complexity` (its `cost` and the `limit` are in
    /// the error's extensions).
    #[error("the query is too complex: it costs {cost}, the limit is {limit}; ask for smaller pages or fewer fields")]
    QueryTooComplex { cost: usize, limit: usize },
    /// Fields nested deeper than `--max-depth`.
    #[error("Query is nested too deep: {cost} levels of fields, at most {limit}")]
    QueryTooDeep { cost: usize, limit: usize },
    /// A change the object's state does not allow (an illegal transition, a read-only object).
    #[error("{0}")]
    InvalidState(String),
    /// A review that lacks what publishing needs (`extensions.gaps`: code, message and field of each).
    #[error("the review is not ready to publish: {}", gaps.iter().map(|gap| gap.message.as_str()).collect::<Vec<_>>().join(" "))]
    NotReady { gaps: Vec<Shortfall> },
    /// A mutation or subscription sent over HTTP GET (GET runs queries only).
    #[error("{0}")]
    MethodNotAllowed(&'static str),
    /// Logged with its cause where it reaches a client; the client sees only INTERNAL.
    #[error("internal error")]
    Internal(std::sync::Arc<anyhow::Error>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated { .. } => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput(_) => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::SlowConsumer(_) => "SLOW_CONSUMER",
            Self::Timeout => "TIMEOUT",
            Self::Unavailable => "UNAVAILABLE",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            Self::QueryTooComplex { .. } => "QUERY_TOO_COMPLEX",
            Self::InvalidState(_) => "INVALID_STATE",
            Self::NotReady { .. } => "NOT_READY",
            Self::QueryTooDeep { .. } => "QUERY_TOO_DEEP",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// Bad input in one named field (the GraphQL argument or input field name).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::BadInput(vec![InputProblem { path: vec![PathSegment::Field(field.to_owned())], message: message.into() }])
    }

    /// Bad input that is not about a single field.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadInput(vec![InputProblem { path: Vec::new(), message: message.into() }])
    }

    /// Puts the input problems of this error under `segment` (`title` → `input.title`, or
    /// `answer` → `[1].answer`); other errors pass unchanged.
    #[must_use]
    pub fn under(mut self, segment: PathSegment) -> Self {
        if let Self::BadInput(problems) = &mut self {
            for problem in problems {
                problem.path.insert(0, segment.clone());
            }
        }
        self
    }

    /// Puts the input problems of this error under the argument `input`, where a mutation
    /// takes its fields in one input object.
    #[must_use]
    pub fn in_input(self) -> Self {
        self.under(PathSegment::Field("input".to_owned()))
    }

    /// The input problems of this error as problems of the one field `field`: for a value
    /// checked under another name.
    #[must_use]
    pub fn for_field(mut self, field: &str) -> Self {
        if let Self::BadInput(problems) = &mut self {
            for problem in problems {
                problem.path = vec![PathSegment::Field(field.to_owned())];
            }
        }
        self
    }

    /// The errors of several independent checks as one: the first that is not about input
    /// (not found, forbidden, …) alone, since it makes the rest moot; otherwise every input
    /// problem together. None when there is no error.
    pub fn combine(errors: impl IntoIterator<Item = AppError>) -> Option<AppError> {
        let mut problems = Vec::new();
        for error in errors {
            match error {
                Self::BadInput(more) => problems.extend(more),
                other => return Some(other),
            }
        }
        (!problems.is_empty()).then_some(Self::BadInput(problems))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn unauthenticated(reason: AuthFailure, message: impl Into<String>) -> Self {
        Self::Unauthenticated { reason, message: message.into() }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(std::sync::Arc::new(error.into()))
    }

    /// Maps a unique-constraint violation to `on_unique`, anything else to an internal error.
    /// Used where a concurrent writer may slip past a pre-check.
    pub fn unique_violation_or(err: DbErr, on_unique: impl FnOnce() -> AppError) -> AppError {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => on_unique(),
            _ => AppError::from(err),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // PostgreSQL deadlock or serialization failure: the other writer won; try again.
        let code = match &err {
            DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)) | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => {
                e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
            }
            _ => None,
        };
        match code.as_deref() {
            Some("40P01" | "40001") => return Self::Conflict("a concurrent change got there first; try again".into()),
            // PostgreSQL's query_canceled (statement_timeout); SQLite's SQLITE_INTERRUPT (see `db`).
            Some("57014" | "9") => return Self::Timeout,
            _ => {}
        }
        match err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::warn!(error = %err, "database unavailable");
                Self::Unavailable
            }
            other => Self::internal(other),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            tracing::error!(error = ?cause, "internal error");
        }
        if let AppError::BadInput(problems) = &err {
            // One GraphQL error per problem: the first here, every one of them as the source,
            // which the error-code extension turns into an error each.
            let first = &problems[0];
            return async_graphql::Error {
                message: first.message.clone(),
                source: Some(std::sync::Arc::new(problems.clone())),
                extensions: Some(problem_extensions(first)),
            };
        }
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", err.code());
        match &err {
            AppError::RateLimited { retry_after_secs } => extensions.set("retryAfter", *retry_after_secs),
            AppError::Unauthenticated { reason, .. } => extensions.set("reason", <&str>::from(reason)),
            AppError::NotReady { gaps } => {
                let gaps = gaps.iter().map(|gap| {
                    let mut entry = async_graphql::indexmap::IndexMap::new();
                    entry.insert(async_graphql::Name::new("code"), async_graphql::Value::from(gap.code));
                    entry.insert(async_graphql::Name::new("message"), async_graphql::Value::from(gap.message.as_str()));
                    entry.insert(async_graphql::Name::new("field"), async_graphql::Value::from(gap.field));
                    async_graphql::Value::Object(entry)
                });
                extensions.set("gaps", async_graphql::Value::List(gaps.collect()));
            }
            AppError::QueryTooComplex { cost, limit } | AppError::QueryTooDeep { cost, limit } => {
                extensions.set("cost", *cost);
                extensions.set("limit", *limit);
            }
            _ => {}
        }
        async_graphql::Error { message: err.to_string(), source: None, extensions: Some(extensions) }
    }
}

/// The extensions of one input problem's error: its code, `path` (argument, field names and
/// indexes) and `field` (the last name of the path), when it is about a field.
pub fn problem_extensions(problem: &InputProblem) -> ErrorExtensionValues {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    if let Some(field) = problem.field() {
        extensions.set("field", field);
        let path = problem.path.iter().map(|segment| match segment {
            PathSegment::Field(name) => async_graphql::Value::from(name.as_str()),
            PathSegment::Index(index) => async_graphql::Value::from(*index),
        });
        extensions.set("path", async_graphql::Value::List(path.collect()));
    }
    extensions
}
