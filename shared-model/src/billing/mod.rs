//! Billing: health-plan billing through the ANS TISS standard (issue 6).

pub mod tiss;
