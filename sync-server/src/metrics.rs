//! Prometheus metrics (`/metrics`, text exposition format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<StatusLabels, Counter>,
    pub logins: Family<OutcomeLabels, Counter>,
    pub sync_connections: Gauge,
    pub changes: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("atendebem");
        let http_requests = Family::<StatusLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by status",
            http_requests.clone(),
        );
        let logins = Family::<OutcomeLabels, Counter>::default();
        registry.register("logins", "Login attempts, by outcome", logins.clone());
        let sync_connections = Gauge::default();
        registry.register(
            "sync_connections",
            "Open sync WebSocket connections",
            sync_connections.clone(),
        );
        let changes = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sync_changes",
            "Automerge changes received, by outcome",
            changes.clone(),
        );
        Self {
            registry,
            http_requests,
            logins,
            sync_connections,
            changes,
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
