//! The statuses of the marketplace's operations (issue 14): categories, services, slots and
//! appointments — rows like [`super::statuses::OPERATIONS`]'.

use boxoffice_domain::codes::{AuthCode as A, ConflictCode as C, DomainCode as X};

use super::statuses::{OperationDoc, FORBIDDEN, NOT_FOUND};
use crate::codes::Code;

const APPOINTMENT: &[Code] = &[
    Code::Conflict(C::NotAnAppointment),
    Code::Domain(X::IllegalTransition),
];

/// The marketplace's operations, by operationId.
pub const MARKETPLACE: &[OperationDoc] = &[
    OperationDoc {
        id: "create_category",
        success: &[],
        errors: &[FORBIDDEN, &[Code::Conflict(C::Duplicate)]],
        database: true,
    },
    OperationDoc {
        id: "list_categories",
        success: &[],
        errors: &[&[Code::Auth(A::AuthenticationRequired)], FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "update_category",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND, &[Code::Conflict(C::Duplicate)]],
        database: true,
    },
    OperationDoc {
        id: "create_service",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "list_services",
        success: &[],
        errors: &[&[Code::Auth(A::AuthenticationRequired)], FORBIDDEN],
        database: true,
    },
    OperationDoc {
        id: "get_service",
        success: &[],
        errors: &[NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "update_service",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "delete_service",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "list_slots",
        success: &[],
        errors: &[NOT_FOUND],
        database: true,
    },
    OperationDoc {
        id: "accept_appointment",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND, APPOINTMENT],
        database: true,
    },
    OperationDoc {
        id: "decline_appointment",
        success: &[],
        errors: &[FORBIDDEN, NOT_FOUND, APPOINTMENT],
        database: true,
    },
    OperationDoc {
        id: "move_appointment",
        success: &[],
        errors: &[
            NOT_FOUND,
            APPOINTMENT,
            &[
                Code::Conflict(C::SlotTaken),
                Code::Conflict(C::ServiceInactive),
            ],
        ],
        database: true,
    },
    OperationDoc {
        id: "my_appointments",
        success: &[],
        errors: &[FORBIDDEN],
        database: true,
    },
];
