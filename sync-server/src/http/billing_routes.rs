//! `/v1/billing`: operators and price tables, billable items, TISS lotes (build, download, mark
//! sent), operator returns (import: glosas attached to items) and recursos de glosa. The work is
//! in [`crate::billing`]; here: who may, what is audited, how it is carried over HTTP.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared_model::access::{Action, Area};
use shared_model::billing::tiss::GuideKind;
use uuid::Uuid;

use super::AppState;
use super::admin_routes::allow;
use super::extract::Authed;
use super::json::{Json, Query};
use crate::audit::{self, Outcome};
use crate::auth::{Principal, event_for};
use crate::billing::{
    self, GlosaView, ItemView, LoteView, OperatorBody, ProcedureItemBody, RecursoBody, RecursoView,
    ReturnView,
};
use crate::db;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Appends the audit event of a billing action to the request's transaction.
async fn audited(
    who: &Principal,
    action: &'static str,
    record: Option<(&'static str, String)>,
    tx: &mut db::TenantTx,
) -> ApiResult<()> {
    let mut event = event_for(who, action, Outcome::Ok);
    if let Some((kind, id)) = record {
        event = event.record(kind, id);
    }
    audit::append(tx, who.tenant, &[event]).await?;
    Ok(())
}

/// The operators the clinic bills, with their price tables.
#[utoipa::path(get, path = "/v1/billing/operators", tag = "billing", security(("bearer" = [])),
    responses((status = 200, body = Vec<OperatorBody>), (status = 403, body = ErrorBody)))]
pub async fn operators(
    State(state): State<AppState>,
    Authed(who): Authed,
) -> ApiResult<Json<Vec<OperatorBody>>> {
    allow(&who, Area::Billing, Action::Read)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let list = billing::operators(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Creates or changes an operator; its price table is replaced by the one sent.
#[utoipa::path(put, path = "/v1/billing/operators/{registro_ans}", tag = "billing", security(("bearer" = [])),
    params(("registro_ans" = String, Path, description = "Registro ANS da operadora (6 dígitos)")),
    request_body = OperatorBody,
    responses((status = 200, body = OperatorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_operator(
    State(state): State<AppState>,
    Authed(who): Authed,
    Path(registro_ans): Path<String>,
    Json(body): Json<OperatorBody>,
) -> ApiResult<Json<OperatorBody>> {
    allow(&who, Area::ClinicSettings, Action::Write)?;
    if body.registro_ans.trim() != registro_ans.trim() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "billing.invalid_operator",
            "O registro ANS do corpo difere do endereço.",
        ));
    }
    let settings = body.settings()?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    billing::put_operator(&mut tx, &settings).await?;
    audited(
        &who,
        "billing.operator.put",
        Some(("operator", registro_ans.clone())),
        &mut tx,
    )
    .await?;
    let saved = billing::operators(&mut tx)
        .await?
        .into_iter()
        .find(|o| o.registro_ans == settings.registro_ans.as_str())
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(Json(saved))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct ItemParams {
    pub registro_ans: Option<String>,
    /// `open` (default: not yet in a lote) or `all`.
    pub status: Option<String>,
}

/// Billable items (completed health-plan appointments are turned into items first).
#[utoipa::path(get, path = "/v1/billing/items", tag = "billing", params(ItemParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<ItemView>), (status = 403, body = ErrorBody)))]
pub async fn items(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(params): Query<ItemParams>,
) -> ApiResult<Json<Vec<ItemView>>> {
    allow(&who, Area::Billing, Action::Read)?;
    let open_only = match params.status.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(_) => {
            return Err(ApiError::bad_request(
                "request.invalid_query",
                "status deve ser open ou all.",
            ));
        }
    };
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    billing::materialize_appointments(&mut tx).await?;
    let list = billing::items(&mut tx, params.registro_ans.as_deref(), open_only).await?;
    audited(&who, "billing.items.list", None, &mut tx).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Bills a procedure recorded (and signed) in the chart.
#[utoipa::path(post, path = "/v1/billing/items", tag = "billing", security(("bearer" = [])),
    request_body = ProcedureItemBody,
    responses((status = 201, body = ItemView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_item(
    State(state): State<AppState>,
    Authed(who): Authed,
    Json(body): Json<ProcedureItemBody>,
) -> ApiResult<(StatusCode, Json<ItemView>)> {
    allow(&who, Area::Billing, Action::Write)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let item = billing::add_procedure(&mut tx, &body, who.user).await?;
    audited(
        &who,
        "billing.item.create",
        Some(("billing_item", item.id.to_string())),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct LoteRequest {
    pub registro_ans: String,
    /// `consulta` (default), `sp_sadt`, `odonto`, `honorarios` or `resumo_internacao`.
    pub guide_kind: Option<String>,
}

/// Builds the next lote of an operator from its open items (at most 100 guides of one type).
#[utoipa::path(post, path = "/v1/billing/lotes", tag = "billing", security(("bearer" = [])),
    request_body = LoteRequest,
    responses((status = 201, body = LoteView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn build_lote(
    State(state): State<AppState>,
    Authed(who): Authed,
    Json(body): Json<LoteRequest>,
) -> ApiResult<(StatusCode, Json<LoteView>)> {
    allow(&who, Area::Billing, Action::Write)?;
    let kind = GuideKind::from_code(body.guide_kind.as_deref().unwrap_or("consulta")).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "billing.guide_kind_unsupported",
            "Tipo de guia desconhecido: use consulta, sp_sadt, odonto, honorarios ou resumo_internacao.",
        )
    })?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let lote = billing::build_lote(&mut tx, &body.registro_ans, kind, who.user).await?;
    audited(
        &who,
        "billing.lote.build",
        Some(("tiss_lote", lote.id.to_string())),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(lote)))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct LoteParams {
    pub registro_ans: Option<String>,
}

/// Lotes built, newest first.
#[utoipa::path(get, path = "/v1/billing/lotes", tag = "billing", params(LoteParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<LoteView>), (status = 403, body = ErrorBody)))]
pub async fn lotes(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(params): Query<LoteParams>,
) -> ApiResult<Json<Vec<LoteView>>> {
    allow(&who, Area::Billing, Action::Read)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let list = billing::lotes(&mut tx, params.registro_ans.as_deref()).await?;
    tx.commit().await?;
    Ok(Json(list))
}

fn xml_file(name: String, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/xml; charset=ISO-8859-1".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The lote's XML, exactly as built (ISO-8859-1).
#[utoipa::path(get, path = "/v1/billing/lotes/{id}/xml", tag = "billing", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/xml"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn lote_xml(
    State(state): State<AppState>,
    Authed(who): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    allow(&who, Area::Billing, Action::Export)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let (number, bytes) = billing::lote_xml(&mut tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited(
        &who,
        "billing.lote.export",
        Some(("tiss_lote", id.to_string())),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    Ok(xml_file(format!("lote-{number}.xml"), bytes))
}

/// Marks a lote as sent to the operator.
#[utoipa::path(post, path = "/v1/billing/lotes/{id}/sent", tag = "billing", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LoteView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn mark_sent(
    State(state): State<AppState>,
    Authed(who): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<LoteView>> {
    allow(&who, Area::Billing, Action::Write)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let lote = billing::mark_sent(&mut tx, id, who.user).await?;
    audited(
        &who,
        "billing.lote.sent",
        Some(("tiss_lote", id.to_string())),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(lote))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct ReturnParams {
    /// The operator that sent the file.
    pub registro_ans: String,
    /// Our lote, when the file refuses one on receipt (it does not say which).
    pub lote_id: Option<Uuid>,
}

/// Imports an operator's return (protocoloRecebimento or demonstrativoAnaliseConta): the body
/// is the XML file as received.
#[utoipa::path(post, path = "/v1/billing/returns", tag = "billing", params(ReturnParams), security(("bearer" = [])),
    request_body(content = String, content_type = "application/xml"),
    responses((status = 201, body = ReturnView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_return(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(params): Query<ReturnParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ReturnView>)> {
    allow(&who, Area::Billing, Action::Write)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let view = billing::import_return(
        &mut tx,
        &params.registro_ans,
        body.to_vec(),
        params.lote_id,
        who.user,
    )
    .await?;
    audited(
        &who,
        "billing.return.import",
        Some(("tiss_return", view.id.to_string())),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct GlosaParams {
    pub lote_id: Option<Uuid>,
}

/// Glosas received, by lote.
#[utoipa::path(get, path = "/v1/billing/glosas", tag = "billing", params(GlosaParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<GlosaView>), (status = 403, body = ErrorBody)))]
pub async fn glosas(
    State(state): State<AppState>,
    Authed(who): Authed,
    Query(params): Query<GlosaParams>,
) -> ApiResult<Json<Vec<GlosaView>>> {
    allow(&who, Area::Billing, Action::Read)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let list = billing::glosas(&mut tx, params.lote_id).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Contests glosas of one lote: builds the recurso de glosa message (checked against the schema).
#[utoipa::path(post, path = "/v1/billing/recursos", tag = "billing", security(("bearer" = [])),
    request_body = RecursoBody,
    responses((status = 201, body = RecursoView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_recurso(
    State(state): State<AppState>,
    Authed(who): Authed,
    Json(body): Json<RecursoBody>,
) -> ApiResult<(StatusCode, Json<RecursoView>)> {
    allow(&who, Area::Billing, Action::Write)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let view = billing::create_recurso(&mut tx, &body, who.user).await?;
    audited(
        &who,
        "billing.recurso.create",
        Some(("tiss_recurso", view.id.to_string())),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The recurso's XML, exactly as built (ISO-8859-1).
#[utoipa::path(get, path = "/v1/billing/recursos/{id}/xml", tag = "billing", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/xml"), (status = 404, body = ErrorBody)))]
pub async fn recurso_xml(
    State(state): State<AppState>,
    Authed(who): Authed,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    allow(&who, Area::Billing, Action::Export)?;
    let mut tx = db::begin_tenant_uuid(&state.pool, who.tenant).await?;
    let (number, bytes) = billing::recurso_xml(&mut tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    audited(
        &who,
        "billing.recurso.export",
        Some(("tiss_recurso", id.to_string())),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    Ok(xml_file(format!("recurso-{number}.xml"), bytes))
}
