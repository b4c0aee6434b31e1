//! Bulk build from sorted ranges, packing nodes full.
