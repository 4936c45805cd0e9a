//! `BookingRequest::parse`: every rule, with the failing field names.

use crate::booking::{BookingCommand, BookingRequest, Places};
use crate::error::DomainError;

use super::support::{failing_fields, has_field};

const MAX: u32 = 10;

/// A valid seated request for show 7, seats 1 and 2.
fn valid() -> BookingRequest {
    BookingRequest {
        show_id: 7,
        seat_ids: Some(vec![1, 2]),
        name: "Ada Lovelace".into(),
        email: Some("Ada@Example.com".into()),
        ..Default::default()
    }
}

fn parse(r: BookingRequest) -> Result<BookingCommand, DomainError> {
    r.parse(MAX)
}

// --- the valid cases ---------------------------------------------------------------------------

#[test]
fn valid_seat_ids_request_parses() {
    let cmd = parse(valid()).unwrap();
    assert_eq!(cmd.show_id, 7);
    assert_eq!(cmd.places, Places::SeatIds(vec![1, 2]));
    assert_eq!(cmd.buyer.name.as_str(), "Ada Lovelace");
    assert_eq!(
        cmd.buyer.email.as_ref().unwrap().as_str(),
        "ada@example.com"
    );
    assert_eq!(cmd.buyer.phone, None);
}

#[test]
fn phone_only_is_enough_and_normalised() {
    let cmd = parse(BookingRequest {
        email: None,
        phone: Some(" +1 (555) 010-9999 ".into()),
        ..valid()
    })
    .unwrap();
    assert_eq!(cmd.buyer.phone.unwrap().as_str(), "+15550109999");
    assert_eq!(cmd.buyer.email, None);
}

#[test]
fn blank_email_with_valid_phone_is_ignored() {
    let cmd = parse(BookingRequest {
        email: Some("   ".into()),
        phone: Some("0123456789".into()),
        ..valid()
    })
    .unwrap();
    assert_eq!(cmd.buyer.email, None);
    assert_eq!(cmd.buyer.phone.unwrap().as_str(), "0123456789");
}

#[test]
fn both_contacts_are_kept() {
    let cmd = parse(BookingRequest {
        phone: Some("0123456789".into()),
        ..valid()
    })
    .unwrap();
    assert!(cmd.buyer.phone.is_some());
    assert!(cmd.buyer.email.is_some());
}

#[test]
fn name_is_trimmed() {
    let cmd = parse(BookingRequest {
        name: "  Grace  ".into(),
        ..valid()
    })
    .unwrap();
    assert_eq!(cmd.buyer.name.as_str(), "Grace");
}

#[test]
fn valid_seat_labels_request_parses() {
    let cmd = parse(BookingRequest {
        seat_ids: None,
        seat_labels: Some(vec!["A10".into(), " A2 ".into()]),
        ..valid()
    })
    .unwrap();
    match cmd.places {
        Places::SeatLabels(labels) => {
            let s: Vec<&str> = labels.iter().map(|l| l.as_str()).collect();
            assert_eq!(s, ["A10", "A2"]);
        }
        other => panic!("expected labels, got {other:?}"),
    }
}

#[test]
fn valid_quantity_request_parses() {
    let cmd = parse(BookingRequest {
        seat_ids: None,
        quantity: Some(3),
        ..valid()
    })
    .unwrap();
    assert_eq!(cmd.places, Places::Quantity(3));
}

#[test]
fn exactly_max_seats_is_accepted() {
    let ids: Vec<i64> = (1..=i64::from(MAX)).collect();
    let cmd = parse(BookingRequest {
        seat_ids: Some(ids.clone()),
        ..valid()
    })
    .unwrap();
    assert_eq!(cmd.places, Places::SeatIds(ids));

    let labels: Vec<String> = (1..=MAX).map(|n| format!("A{n}")).collect();
    assert!(parse(BookingRequest {
        seat_ids: None,
        seat_labels: Some(labels),
        ..valid()
    })
    .is_ok());

    let cmd = parse(BookingRequest {
        seat_ids: None,
        quantity: Some(i64::from(MAX)),
        ..valid()
    })
    .unwrap();
    assert_eq!(cmd.places, Places::Quantity(MAX));
}

#[test]
fn max_places_is_a_parameter() {
    let r = BookingRequest {
        seat_ids: Some(vec![1, 2, 3]),
        ..valid()
    };
    assert!(r.clone().parse(3).is_ok());
    assert_eq!(failing_fields(r.parse(2)), ["seat_ids"]);
}

// --- buyer -------------------------------------------------------------------------------------

#[test]
fn empty_name_fails_on_name() {
    assert_eq!(
        failing_fields(parse(BookingRequest {
            name: "".into(),
            ..valid()
        })),
        ["name"]
    );
    assert_eq!(
        failing_fields(parse(BookingRequest {
            name: "   ".into(),
            ..valid()
        })),
        ["name"]
    );
}

#[test]
fn too_long_name_fails_on_name() {
    let r = BookingRequest {
        name: "x".repeat(201),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["name"]);
}

#[test]
fn malformed_email_fails_on_email() {
    for bad in ["ada", "ada@", "@x.com", "a b@c.com", "a@b"] {
        let r = BookingRequest {
            email: Some(bad.into()),
            ..valid()
        };
        assert_eq!(failing_fields(parse(r)), ["email"], "{bad}");
    }
}

#[test]
fn malformed_phone_fails_on_phone() {
    for bad in ["12345", "CALL ME", "+1 555 CALL NOW", "1234567890123456"] {
        let r = BookingRequest {
            email: None,
            phone: Some(bad.into()),
            ..valid()
        };
        assert_eq!(failing_fields(parse(r)), ["phone"], "{bad}");
    }
}

#[test]
fn malformed_phone_fails_even_with_a_valid_email() {
    let r = BookingRequest {
        phone: Some("12".into()),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["phone"]);
}

#[test]
fn neither_phone_nor_email() {
    let r = BookingRequest {
        email: None,
        phone: None,
        ..valid()
    };
    let err = parse(r).unwrap_err();
    match &err {
        DomainError::Validation(fs) => {
            assert_eq!(fs.len(), 1);
            assert_eq!(fs[0].field, "email");
            assert!(
                fs[0].message.contains("phone or email"),
                "{}",
                fs[0].message
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn both_contacts_blank_strings_count_as_neither() {
    let r = BookingRequest {
        email: Some("  ".into()),
        phone: Some("".into()),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["email"]);
}

// --- seat ids ----------------------------------------------------------------------------------

#[test]
fn empty_seat_ids() {
    let r = BookingRequest {
        seat_ids: Some(vec![]),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_ids"]);
}

#[test]
fn duplicate_seat_ids() {
    let r = BookingRequest {
        seat_ids: Some(vec![4, 5, 4]),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_ids"]);
}

#[test]
fn non_positive_seat_ids() {
    for ids in [vec![0], vec![-3], vec![1, 0, 2]] {
        let r = BookingRequest {
            seat_ids: Some(ids.clone()),
            ..valid()
        };
        assert_eq!(failing_fields(parse(r)), ["seat_ids"], "{ids:?}");
    }
}

#[test]
fn more_than_max_seat_ids() {
    let r = BookingRequest {
        seat_ids: Some((1..=i64::from(MAX) + 1).collect()),
        ..valid()
    };
    let err = parse(r).unwrap_err();
    match err {
        DomainError::Validation(fs) => {
            assert_eq!(fs.len(), 1);
            assert_eq!(fs[0].field, "seat_ids");
            assert!(fs[0].message.contains("at most 10"), "{}", fs[0].message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn several_seat_id_problems_are_all_reported() {
    // duplicates and non-positive at once → two entries, both on seat_ids
    let r = BookingRequest {
        seat_ids: Some(vec![0, 0]),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_ids", "seat_ids"]);
}

// --- seat labels -------------------------------------------------------------------------------

#[test]
fn bad_seat_label() {
    for bad in ["A 1", "", "A#1", &"A".repeat(21)] {
        let r = BookingRequest {
            seat_ids: None,
            seat_labels: Some(vec!["A1".into(), bad.to_string()]),
            ..valid()
        };
        assert_eq!(failing_fields(parse(r)), ["seat_labels"], "{bad:?}");
    }
}

#[test]
fn duplicate_seat_labels_after_trimming() {
    let r = BookingRequest {
        seat_ids: None,
        seat_labels: Some(vec!["A1".into(), " A1".into()]),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_labels"]);
}

#[test]
fn empty_and_too_many_seat_labels() {
    let r = BookingRequest {
        seat_ids: None,
        seat_labels: Some(vec![]),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_labels"]);
    let r = BookingRequest {
        seat_ids: None,
        seat_labels: Some((1..=MAX + 1).map(|n| format!("B{n}")).collect()),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_labels"]);
}

// --- quantity ----------------------------------------------------------------------------------

#[test]
fn quantity_zero_negative_and_over_max() {
    for q in [0, -1, i64::MIN, i64::from(MAX) + 1, i64::MAX] {
        let r = BookingRequest {
            seat_ids: None,
            quantity: Some(q),
            ..valid()
        };
        assert_eq!(failing_fields(parse(r)), ["quantity"], "{q}");
    }
}

// --- which places ------------------------------------------------------------------------------

#[test]
fn seat_ids_and_quantity_together() {
    let r = BookingRequest {
        quantity: Some(2),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_ids"]);
}

#[test]
fn seat_ids_and_labels_together() {
    let r = BookingRequest {
        seat_labels: Some(vec!["A1".into()]),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_ids"]);
}

#[test]
fn all_three_together() {
    let r = BookingRequest {
        seat_labels: Some(vec!["A1".into()]),
        quantity: Some(1),
        ..valid()
    };
    assert_eq!(failing_fields(parse(r)), ["seat_ids"]);
}

#[test]
fn no_places_given() {
    let r = BookingRequest {
        seat_ids: None,
        ..valid()
    };
    let err = parse(r).unwrap_err();
    match err {
        DomainError::Validation(fs) => {
            assert_eq!(fs.len(), 1);
            assert_eq!(fs[0].field, "seat_ids");
            assert!(fs[0].message.contains("exactly one"), "{}", fs[0].message);
        }
        other => panic!("{other:?}"),
    }
}

// --- show ---------------------------------------------------------------------------------------

#[test]
fn show_id_must_be_positive() {
    for id in [0, -1, i64::MIN] {
        let r = BookingRequest {
            show_id: id,
            ..valid()
        };
        assert_eq!(failing_fields(parse(r)), ["show_id"], "{id}");
    }
}

// --- all at once --------------------------------------------------------------------------------

#[test]
fn every_failing_field_is_reported_together() {
    let r = BookingRequest {
        show_id: 0,
        seat_ids: Some(vec![]),
        seat_labels: None,
        quantity: None,
        name: " ".into(),
        phone: Some("12".into()),
        email: Some("nope".into()),
    };
    let fs = failing_fields(parse(r));
    for f in ["name", "phone", "email", "seat_ids", "show_id"] {
        assert!(has_field(&fs, f), "{f} missing from {fs:?}");
    }
    assert_eq!(fs.len(), 5, "{fs:?}");
}
