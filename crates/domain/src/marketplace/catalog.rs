//! Services and categories of the marketplace (issue 14): built by the catalogue helper.
