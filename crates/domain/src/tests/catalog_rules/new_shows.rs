//! New shows: their rules and `generate_seats`.

use super::*;

fn new_seat(label: &str, class: &str) -> NewSeat {
    NewSeat {
        label: SeatLabel::parse(label).unwrap(),
        class: class.into(),
        external_ref: None,
    }
}

fn seated(classes: &[&str], seats: &[(&str, &str)]) -> NewShow {
    NewShow {
        venue_id: Some(1),
        screen_name: "Hall 1".into(),
        starts_at: t0(),
        ends_at: t0() + Duration::hours(2),
        currency: usd(),
        layout: Layout::Seated {
            classes: classes
                .iter()
                .map(|c| NewSeatClass {
                    name: (*c).into(),
                    prices: prices(100, 200, 300),
                })
                .collect(),
            seats: seats.iter().map(|(l, c)| new_seat(l, c)).collect(),
        },
    }
}

fn general(capacity: u32, price: Option<i64>) -> NewShow {
    NewShow {
        layout: Layout::General { capacity, price },
        ..seated(&[], &[])
    }
}

#[test]
fn valid_shows_pass() {
    assert_eq!(
        seated(&["A", "B"], &[("A1", "A"), ("A2", "A"), ("B1", "B")]).validate(),
        Ok(())
    );
    assert_eq!(general(5, Some(1_000)).validate(), Ok(()));
    assert_eq!(general(5, None).validate(), Ok(()));
    assert_eq!(general(100_000, Some(0)).validate(), Ok(()));
}

#[test]
fn show_must_end_after_it_starts() {
    let mut s = general(5, None);
    s.ends_at = s.starts_at - Duration::minutes(1);
    assert_eq!(failing_fields(s.validate()), ["ends_at"]);
    s.ends_at = s.starts_at;
    assert_eq!(failing_fields(s.validate()), ["ends_at"]);
}

#[test]
fn screen_name_is_bounded() {
    let mut s = general(5, None);
    s.screen_name = "s".repeat(201);
    assert_eq!(failing_fields(s.validate()), ["screen_name"]);
    s.screen_name = "s".repeat(200);
    assert!(s.validate().is_ok());
}

#[test]
fn general_capacity_rules() {
    assert_eq!(failing_fields(general(0, None).validate()), ["capacity"]);
    assert_eq!(
        failing_fields(general(100_001, None).validate()),
        ["capacity"]
    );
    assert_eq!(failing_fields(general(5, Some(-1)).validate()), ["price"]);
}

#[test]
fn duplicate_class_is_refused() {
    let s = seated(&["A", "B", "A"], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[2].name"]);
}

#[test]
fn empty_class_name_is_refused() {
    let s = seated(&["A", " "], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[1].name"]);
    let s = seated(&["A", &"x".repeat(51)], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[1].name"]);
}

#[test]
fn a_seat_without_a_declared_class_is_refused() {
    let s = seated(&[], &[("A1", "A")]);
    let fs = failing_fields(s.validate());
    assert!(!has_field(&fs, "seat_classes"), "{fs:?}");
    assert!(has_field(&fs, "seats"), "{fs:?}");
}

#[test]
fn duplicate_seat_label_is_refused() {
    let s = seated(&["A"], &[("A1", "A"), ("A2", "A"), ("A1", "A")]);
    let err = s.validate().unwrap_err();
    assert_eq!(crate::tests::support::fields(&err), ["seats"]);
    assert!(err.to_string().contains("'A1' is used twice"), "{err}");
}

#[test]
fn seat_naming_an_unknown_class_is_refused() {
    let s = seated(&["A"], &[("A1", "A"), ("C1", "C")]);
    let err = s.validate().unwrap_err();
    assert_eq!(crate::tests::support::fields(&err), ["seats"]);
    assert!(err.to_string().contains("unknown class 'C'"), "{err}");
}

#[test]
fn negative_class_price_is_refused_per_field() {
    let mut s = seated(&["A", "B"], &[("A1", "A")]);
    if let Layout::Seated { classes, .. } = &mut s.layout {
        classes[1].prices = TierPrices {
            min_price: Some(-1),
            normal_price: None,
            max_price: Some(-5),
        };
    }
    assert_eq!(
        failing_fields(s.validate()),
        ["seat_classes[1].min_price", "seat_classes[1].max_price"]
    );
}

#[test]
fn class_with_no_price_is_allowed_at_creation() {
    let mut s = seated(&["A"], &[("A1", "A")]);
    if let Layout::Seated { classes, .. } = &mut s.layout {
        classes[0].prices = TierPrices::default();
    }
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn an_empty_seat_map_is_allowed() {
    // Filled later by a seats CSV import.
    assert_eq!(seated(&[], &[]).validate(), Ok(()));
    assert_eq!(seated(&["A"], &[]).validate(), Ok(()));
}

// --- generate_seats -----------------------------------------------------------------------------

#[test]
fn generate_seats_labels_rows_then_numbers() {
    let seats = generate_seats("A", &["A".into(), "B".into()], 3).unwrap();
    let labels: Vec<&str> = seats.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["A1", "A2", "A3", "B1", "B2", "B3"]);
    assert!(seats
        .iter()
        .all(|s| s.class == "A" && s.external_ref.is_none()));
    assert_eq!(seats[5].label.row(), "B");
    assert_eq!(seats[5].label.number(), 3);
}

#[test]
fn generate_seats_trims_rows_and_allows_multi_letter_rows() {
    let seats = generate_seats("VIP", &[" AA ".into()], 2).unwrap();
    let labels: Vec<&str> = seats.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["AA1", "AA2"]);
}

#[test]
fn generate_seats_refuses_bad_input() {
    for rows in [
        vec![],
        vec!["A1".to_string()],
        vec!["".into()],
        vec!["A".into(), "B C".into()],
        vec!["-".into()],
    ] {
        let res = generate_seats("A", &rows, 3);
        assert_eq!(failing_fields(res), ["seat_classes"], "{rows:?}");
    }
    assert_eq!(
        failing_fields(generate_seats("A", &["A".into()], 0)),
        ["seat_classes"]
    );
    // too many seats
    let rows: Vec<String> = (0..26).map(|i| ((b'A' + i) as char).to_string()).collect();
    assert_eq!(
        failing_fields(generate_seats("A", &rows, 4_000)),
        ["seat_classes"]
    );
}

#[test]
fn generated_seats_make_a_valid_show() {
    let mut seats = generate_seats("A", &["A".into()], 3).unwrap();
    seats.extend(generate_seats("B", &["B".into()], 3).unwrap());
    let s = NewShow {
        layout: Layout::Seated {
            classes: vec![
                NewSeatClass {
                    name: "A".into(),
                    prices: prices(1, 2, 3),
                },
                NewSeatClass {
                    name: "B".into(),
                    prices: prices(1, 2, 3),
                },
            ],
            seats,
        },
        ..general(1, None)
    };
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn class_names_that_differ_only_by_surrounding_spaces_are_duplicates() {
    let s = seated(&["A", "A "], &[("A1", "A")]);
    assert_eq!(failing_fields(s.validate()), ["seat_classes[1].name"]);
}

#[test]
fn seat_class_reference_is_trimmed_like_the_class_name() {
    let s = seated(&["A"], &[("A1", " A ")]);
    assert_eq!(s.validate(), Ok(()));
}
