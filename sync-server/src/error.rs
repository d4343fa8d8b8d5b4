//! The one error every route returns: an HTTP status, a stable `code` for programs and a pt-BR
//! `message` for people. Internal causes are logged (without patient data) and never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, dotted code (`auth.invalid_credentials`).
    pub code: String,
    /// Message for people, in Brazilian Portuguese.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "registro não encontrado")
    }

    pub fn invalid_credentials() -> Self {
        // NGS1.02.16: one message for unknown clinic, unknown user, wrong password, locked account.
        Self::unauthorized(
            "auth.invalid_credentials",
            "Clínica, e-mail ou senha incorretos, ou acesso bloqueado. Se continuar, procure o administrador da clínica.",
        )
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            "Muitas tentativas em pouco tempo. Aguarde um minuto e tente de novo.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Erro interno no servidor. A operação não foi concluída; tente de novo.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Servidor temporariamente indisponível. Tente de novo em instantes.",
        )
    }

    pub fn from_code<E: shared_model::ErrorCode + std::fmt::Display>(status: StatusCode, e: &E) -> Self {
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        // sqlx errors carry SQL and constraint names, never bound values.
        tracing::error!(error = %e, "database error");
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => Self::unavailable(),
            _ => Self::internal(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                code: self.code.to_string(),
                message: self.message,
            }),
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
