//! The seat-map order (`SeatView::map_order`): class name, then the natural seat order.

use crate::catalog::{SeatStatus, SeatView};
use crate::values::SeatLabel;

fn seat(class: &str, label: &str) -> SeatView {
    let l = SeatLabel::parse(label).unwrap();
    SeatView {
        id: 0,
        label: label.into(),
        row: l.row().into(),
        number: l.number(),
        class_id: 0,
        class: class.into(),
        status: SeatStatus::Available,
        held_until: None,
        external_ref: None,
    }
}

#[test]
fn class_name_first_then_row_by_length_then_number_then_label() {
    let mut seats = vec![
        seat("Stalls", "AA1"),
        seat("Stalls", "B1"),
        seat("Balcony", "C2"),
        seat("Stalls", "A10"),
        seat("Stalls", "A2"),
        seat("Balcony", "C1"),
        seat("Stalls", "A-2"),
        seat("Stalls", "A1"),
        seat("balcony", "A1"),
    ];
    seats.sort_by(SeatView::map_order);
    let order: Vec<(&str, &str)> = seats.iter().map(|s| (&*s.class, &*s.label)).collect();
    assert_eq!(
        order,
        [
            ("Balcony", "C1"),
            ("Balcony", "C2"),
            ("Stalls", "A1"),
            // Same row and number: by the raw label's bytes.
            ("Stalls", "A-2"),
            ("Stalls", "A2"),
            ("Stalls", "A10"),
            ("Stalls", "B1"),
            ("Stalls", "AA1"),
            // Text compares by bytes: upper case before lower case.
            ("balcony", "A1"),
        ]
    );
}
