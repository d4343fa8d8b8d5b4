//! JSON in and out with the stable error body, and cursor pagination.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// `axum::Json` whose rejections are [`ApiError`]s.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request.too_large",
                    "Requisição grande demais.",
                )
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.content_type",
                "Envie o corpo como application/json.",
            ),
            JsonRejection::JsonDataError(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "request.invalid_fields",
                "Campos ausentes ou com tipo errado na requisição.",
            ),
            _ => ApiError::bad_request(
                "request.invalid_json",
                "O corpo da requisição não é um JSON válido.",
            ),
        }
    }
}

/// `axum::extract::Query` whose rejections are [`ApiError`]s.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        ApiError::bad_request("request.invalid_query", "Parâmetros de consulta inválidos.")
    }
}

/// `?limit=&cursor=`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// 1 to 500 items (default 100).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(100),
            Some(n @ 1..=500) => Ok(i64::from(n)),
            Some(_) => Err(ApiError::bad_request(
                "request.invalid_limit",
                "O limite deve ficar entre 1 e 500.",
            )),
        }
    }

    /// Decodes the cursor into the key it carries.
    pub fn cursor<K: for<'de> Deserialize<'de>>(&self) -> Result<Option<K>, ApiError> {
        let Some(c) = &self.cursor else { return Ok(None) };
        let invalid = || ApiError::bad_request("request.invalid_cursor", "Cursor de paginação inválido.");
        let bytes = URL_SAFE_NO_PAD.decode(c).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map(Some).map_err(|_| invalid())
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}
