//! Free slots of a service (issue 14): built by the slot helper.
