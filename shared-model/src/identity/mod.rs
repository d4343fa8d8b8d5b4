//! Tenants (clinics), users and roles.

mod role;
mod tenant;
mod user;

pub use role::{Role, RoleParseError};
pub use tenant::{Plan, Tenant, TenantSlug, TenantSlugError};
pub use user::User;
