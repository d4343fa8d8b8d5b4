//! The HTTP surface: operations endpoints, `/v1` REST and (later) the sync WebSocket.

pub mod admin_routes;
pub mod auth_routes;
pub mod billing_routes;
pub mod data_routes;
pub mod extract;
pub mod json;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sqlx::PgPool;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::auth::Auth;
use crate::config::Settings;
use crate::error::{ApiError, ErrorBody};
use crate::metrics::{Metrics, StatusLabels};
use crate::notify::Bus;

/// Per-instance login rate limits (each instance behind a load balancer keeps its own).
#[derive(Debug)]
pub struct Limits {
    pub login_ip: DefaultKeyedRateLimiter<IpAddr>,
    pub login_account: DefaultKeyedRateLimiter<String>,
}

impl Limits {
    pub fn new(settings: &Settings) -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            login_ip: RateLimiter::keyed(per_minute(settings.auth.login_per_ip_per_minute)),
            login_account: RateLimiter::keyed(per_minute(settings.auth.login_per_account_per_minute)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub auth: Auth,
    pub limits: Arc<Limits>,
    pub metrics: Arc<Metrics>,
    pub bus: Bus,
    pub relay: crate::sync::relay::Relay,
    pub doc_cache: Arc<crate::sync::store::DocCache>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "AtendeBem API", version = "1", description = "API do servidor AtendeBem. Erros: corpo {code, message}."),
    paths(
        healthz, readyz, metrics_text, openapi_json,
        auth_routes::login, auth_routes::refresh, auth_routes::logout, auth_routes::change_password, auth_routes::me,
        admin_routes::users, admin_routes::devices, admin_routes::audit_trail,
        data_routes::patients, data_routes::appointments, data_routes::conflicts,
        billing_routes::operators, billing_routes::put_operator, billing_routes::items, billing_routes::add_item,
        billing_routes::build_lote, billing_routes::lotes, billing_routes::lote_xml, billing_routes::mark_sent,
        billing_routes::import_return, billing_routes::glosas, billing_routes::create_recurso,
        billing_routes::recurso_xml,
        crate::sync::upgrade,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerScheme),
)]
#[derive(Debug)]
pub struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "ok")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers and every migration is applied.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match crate::db::migrations_current(&state.pool).await {
        Ok(true) => Ok("ready"),
        Ok(false) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready.migrations",
            "Migrações pendentes: execute `atendebem-server migrate`.",
        )),
        Err(_) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready.database",
            "Banco de dados inacessível.",
        )),
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "ops", responses((status = 200, content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    axum::Json(ApiDoc::openapi()).into_response()
}

async fn fallback() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "Rota não encontrada.")
}

async fn count_status(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    state
        .metrics
        .http_requests
        .get_or_create(&StatusLabels {
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// Every REST route, for the test that the OpenAPI document covers them all.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/openapi.json"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/refresh"),
    ("post", "/v1/auth/logout"),
    ("post", "/v1/auth/password"),
    ("get", "/v1/me"),
    ("get", "/v1/users"),
    ("get", "/v1/devices"),
    ("get", "/v1/audit"),
    ("get", "/v1/patients"),
    ("get", "/v1/appointments"),
    ("get", "/v1/conflicts"),
    ("get", "/v1/sync"),
    ("get", "/v1/billing/operators"),
    ("put", "/v1/billing/operators/{registro_ans}"),
    ("get", "/v1/billing/items"),
    ("post", "/v1/billing/items"),
    ("get", "/v1/billing/lotes"),
    ("post", "/v1/billing/lotes"),
    ("get", "/v1/billing/lotes/{id}/xml"),
    ("post", "/v1/billing/lotes/{id}/sent"),
    ("post", "/v1/billing/returns"),
    ("get", "/v1/billing/glosas"),
    ("post", "/v1/billing/recursos"),
    ("get", "/v1/billing/recursos/{id}/xml"),
];

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let timeout = Duration::from_secs(state.settings.limits.request_timeout_seconds);
    let api = Router::new()
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/auth/login", post(auth_routes::login))
        .route("/v1/auth/refresh", post(auth_routes::refresh))
        .route("/v1/auth/logout", post(auth_routes::logout))
        .route("/v1/auth/password", post(auth_routes::change_password))
        .route("/v1/me", get(auth_routes::me))
        .route("/v1/users", get(admin_routes::users))
        .route("/v1/devices", get(admin_routes::devices))
        .route("/v1/audit", get(admin_routes::audit_trail))
        .route("/v1/patients", get(data_routes::patients))
        .route("/v1/appointments", get(data_routes::appointments))
        .route("/v1/conflicts", get(data_routes::conflicts))
        .route("/v1/sync", get(crate::sync::upgrade))
        .route("/v1/billing/operators", get(billing_routes::operators))
        .route(
            "/v1/billing/operators/{registro_ans}",
            put(billing_routes::put_operator),
        )
        .route(
            "/v1/billing/items",
            get(billing_routes::items).post(billing_routes::add_item),
        )
        .route(
            "/v1/billing/lotes",
            get(billing_routes::lotes).post(billing_routes::build_lote),
        )
        .route("/v1/billing/lotes/{id}/xml", get(billing_routes::lote_xml))
        .route("/v1/billing/lotes/{id}/sent", post(billing_routes::mark_sent))
        .route("/v1/billing/returns", post(billing_routes::import_return))
        .route("/v1/billing/glosas", get(billing_routes::glosas))
        .route("/v1/billing/recursos", post(billing_routes::create_recurso))
        .route("/v1/billing/recursos/{id}/xml", get(billing_routes::recurso_xml))
        .layer(DefaultBodyLimit::max(state.settings.limits.max_body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(api)
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), count_status))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(move |req: &Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // The path only: query strings may carry search terms (patient data).
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves until `shutdown` resolves. Prints `listening on http://ADDR` on stdout once bound.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Sync frames are small and answered at once: without TCP_NODELAY, Nagle's algorithm and the
    // peer's delayed ACK hold a frame written right after another for up to 40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
