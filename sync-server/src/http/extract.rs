//! Request extractors: the authenticated principal and the client's address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

/// The caller's IP address as seen on the socket.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

pub fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("auth.missing_token", "Autenticação necessária."))
}

async fn principal(
    parts: &mut Parts,
    state: &AppState,
    password_change_only: bool,
) -> Result<Principal, ApiError> {
    let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
        .await
        .unwrap_or(ClientIp(None));
    let token = bearer(parts)?;
    state
        .auth
        .authenticate(&state.pool, token, ip, password_change_only)
        .await
}

/// A verified caller whose account is fully usable.
#[derive(Debug, Clone)]
pub struct Authed(pub Principal);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        principal(parts, state, false).await.map(Authed)
    }
}

/// A verified caller who may only change their password (NGS1.02.06) — or a full one.
#[derive(Debug, Clone)]
pub struct AuthedForPasswordChange(pub Principal);

impl FromRequestParts<AppState> for AuthedForPasswordChange {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        principal(parts, state, true).await.map(AuthedForPasswordChange)
    }
}
