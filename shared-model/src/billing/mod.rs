//! Billing: health-plan billing through the ANS TISS standard (issue 6).

mod items;
pub mod tiss;

pub use items::{
    BillableItem, BillingError, BuiltGuide, CONSULTATION_CODE, HospitalStay, ItemSource, LoadedLookup,
    Lookup, OperatorSettings, PriceEntry, Service, TussCode, TussTable, build_guides,
};
