//! CSV parsing of seat maps and pricing (`import.rs`), and the shared fixture files.

use crate::error::DomainError;
use crate::import::{parse_pricing_csv, parse_seats_csv, PricingRow, SeatRow};
use crate::pricing::TierPrices;

fn seats(text: &str) -> Result<Vec<SeatRow>, DomainError> {
    parse_seats_csv(text.as_bytes())
}

fn pricing(text: &str) -> Result<Vec<PricingRow>, DomainError> {
    parse_pricing_csv(text.as_bytes())
}

/// `(label, class, external id)` of each row.
fn seat_summary(rows: &[SeatRow]) -> Vec<(String, String, Option<String>)> {
    rows.iter()
        .map(|r| {
            (
                r.label.as_str().to_owned(),
                r.class.clone(),
                r.external_id.clone(),
            )
        })
        .collect()
}

fn s(label: &str, class: &str, id: Option<&str>) -> (String, String, Option<String>) {
    (label.into(), class.into(), id.map(str::to_owned))
}

/// `(line, column, problem)` of an `InvalidCsv` error; panics on any other result.
fn csv_error<T: std::fmt::Debug>(r: Result<T, DomainError>) -> (u64, Option<String>, String) {
    match r {
        Err(DomainError::InvalidCsv {
            line,
            column,
            problem,
        }) => (line, column, problem),
        other => panic!("expected InvalidCsv, got {other:?}"),
    }
}

fn tp(min: Option<i64>, normal: Option<i64>, max: Option<i64>) -> TierPrices {
    TierPrices {
        min_price: min,
        normal_price: normal,
        max_price: max,
    }
}

// --- seats: accepted shapes ---------------------------------------------------------------------

#[test]
fn plain_seats_file() {
    let rows = seats("id,seat_identifier,seat_class\n1,A1,A\n2,A2,A\n3,B1,B\n").unwrap();
    assert_eq!(
        seat_summary(&rows),
        [
            s("A1", "A", Some("1")),
            s("A2", "A", Some("2")),
            s("B1", "B", Some("3"))
        ]
    );
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4]);
    assert_eq!(rows[2].label.row(), "B");
    assert_eq!(rows[2].label.number(), 1);
}

#[test]
fn windows_line_endings() {
    let rows = seats("id,seat_identifier,seat_class\r\n1,A1,A\r\n2,A2,B\r\n").unwrap();
    assert_eq!(
        seat_summary(&rows),
        [s("A1", "A", Some("1")), s("A2", "B", Some("2"))]
    );
    // the line numbers of a CRLF file: see `crlf_line_numbers_count_the_header_as_line_1`
}

#[test]
fn crlf_line_numbers_count_the_header_as_line_1() {
    let rows = seats("id,seat_identifier,seat_class\r\n1,A1,A\r\n2,A2,B\r\n").unwrap();
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3]);
    // a bad 3rd data row is on line 4
    let (line, column, _) = csv_error(seats(
        "id,seat_identifier,seat_class\r\n1,A1,A\r\n2,A2,A\r\n3,,A\r\n4,A4,A",
    ));
    assert_eq!((line, column.as_deref()), (4, Some("seat_identifier")));
    // a duplicate names the first line correctly
    let (line, _, problem) = csv_error(seats(
        "id,seat_identifier,seat_class\r\n1,A1,A\r\n2,A2,A\r\n3,A1,B\r\n",
    ));
    assert_eq!(line, 4);
    assert!(problem.contains("line 2"), "{problem}");
    // a pricing error too
    let (line, column, _) = csv_error(pricing(
        "id,seat_class,min_price,normal_price,max_price\r\n1,A,1,2,3\r\n2,B,1,abc,3",
    ));
    assert_eq!((line, column.as_deref()), (3, Some("normal_price")));
}

#[test]
fn no_final_newline() {
    let rows = seats("id,seat_identifier,seat_class\n1,A1,A\n2,A2,B").unwrap();
    assert_eq!(
        seat_summary(&rows),
        [s("A1", "A", Some("1")), s("A2", "B", Some("2"))]
    );
    let rows = seats("id,seat_identifier,seat_class\r\n1,A1,A").unwrap();
    assert_eq!(seat_summary(&rows), [s("A1", "A", Some("1"))]);
}

#[test]
fn utf8_bom_is_skipped() {
    let rows = seats("\u{feff}id,seat_identifier,seat_class\n1,A1,A\n").unwrap();
    assert_eq!(seat_summary(&rows), [s("A1", "A", Some("1"))]);
}

#[test]
fn header_names_in_other_case() {
    let rows = seats("ID,Seat_Identifier,SEAT_CLASS\n1,A1,A\n").unwrap();
    assert_eq!(seat_summary(&rows), [s("A1", "A", Some("1"))]);
}

#[test]
fn columns_in_another_order_and_extra_columns() {
    let rows = seats("seat_class,notes,seat_identifier,id\nVIP,aisle,A7,x-1\nB,,B2,\n").unwrap();
    assert_eq!(
        seat_summary(&rows),
        [s("A7", "VIP", Some("x-1")), s("B2", "B", None)]
    );
}

#[test]
fn whitespace_around_cells_and_headers() {
    let rows = seats(" id , seat_identifier ,seat_class \n 1 ,  A1  ,  Balcony  \n").unwrap();
    assert_eq!(seat_summary(&rows), [s("A1", "Balcony", Some("1"))]);
}

#[test]
fn blank_lines_are_skipped() {
    let rows = seats("id,seat_identifier,seat_class\n\n1,A1,A\n\n   \n2,A2,A\n\n").unwrap();
    assert_eq!(
        seat_summary(&rows),
        [s("A1", "A", Some("1")), s("A2", "A", Some("2"))]
    );
    // a whitespace-only line is a record of blank cells: skipped too
    let rows = seats("id,seat_identifier,seat_class\n1,A1,A\n , , \n2,A2,A\n").unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].line, 4);
}

#[test]
fn blank_lines_still_count_in_line_numbers() {
    let rows = seats("id,seat_identifier,seat_class\n\n1,A1,A\n\n   \n2,A2,A\n\n").unwrap();
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 6]);
    let (line, _, _) = csv_error(seats("id,seat_identifier,seat_class\n1,A1,A\n\n\n2,,A\n"));
    assert_eq!(line, 5);
}

#[test]
fn quoted_cells() {
    let rows = seats("id,seat_identifier,seat_class\n\"1\",\"A1\",\"Stalls, front\"\n").unwrap();
    assert_eq!(seat_summary(&rows), [s("A1", "Stalls, front", Some("1"))]);
}

// --- seats: errors ------------------------------------------------------------------------------

#[test]
fn missing_column_names_it_on_line_1() {
    let (line, column, problem) = csv_error(seats("id,seat_identifier\n1,A1\n"));
    assert_eq!(line, 1);
    assert_eq!(column.as_deref(), Some("seat_class"));
    assert!(problem.contains("seat_class"), "{problem}");
    let (line, column, _) = csv_error(seats("id,label,seat_class\n1,A1,A\n"));
    assert_eq!((line, column.as_deref()), (1, Some("seat_identifier")));
}

#[test]
fn duplicate_column_is_refused() {
    let (line, column, _) = csv_error(seats(
        "id,seat_identifier,seat_class,SEAT_CLASS\n1,A1,A,B\n",
    ));
    assert_eq!((line, column.as_deref()), (1, Some("seat_class")));
}

#[test]
fn empty_seat_identifier_on_the_third_data_row_is_line_4() {
    let (line, column, problem) = csv_error(seats(
        "id,seat_identifier,seat_class\n1,A1,A\n2,A2,A\n3,,A\n4,A4,A\n",
    ));
    assert_eq!(line, 4);
    assert_eq!(column.as_deref(), Some("seat_identifier"));
    assert!(problem.contains("empty"), "{problem}");
}

#[test]
fn bad_seat_identifier() {
    let (line, column, _) = csv_error(seats("id,seat_identifier,seat_class\n1,A 1,A\n"));
    assert_eq!((line, column.as_deref()), (2, Some("seat_identifier")));
}

#[test]
fn empty_seat_class() {
    let (line, column, _) = csv_error(seats("id,seat_identifier,seat_class\n1,A1,A\n2,A2,\n"));
    assert_eq!((line, column.as_deref()), (3, Some("seat_class")));
}

#[test]
fn duplicate_seat_label_names_the_first_line() {
    let (line, column, problem) = csv_error(seats(
        "id,seat_identifier,seat_class\n1,A1,A\n2,A2,A\n3,A1,B\n",
    ));
    assert_eq!(line, 4);
    assert_eq!(column.as_deref(), Some("seat_identifier"));
    assert!(problem.contains("line 2"), "{problem}");
    assert!(problem.contains("A1"), "{problem}");
}

#[test]
fn wrong_number_of_fields() {
    let (line, column, problem) = csv_error(seats("id,seat_identifier,seat_class\n1,A1,A\n2,A2\n"));
    assert_eq!(line, 3);
    assert_eq!(column, None);
    assert!(problem.contains("expected 3 fields, found 2"), "{problem}");
    let (line, _, problem) = csv_error(seats("id,seat_identifier,seat_class\n1,A1,A,extra\n"));
    assert_eq!(line, 2);
    assert!(problem.contains("found 4"), "{problem}");
}

#[test]
fn empty_file() {
    for text in ["", "   ", "\r\n\r\n", "\u{feff}"] {
        let (line, column, problem) = csv_error(seats(text));
        assert_eq!((line, column), (1, None), "{text:?}");
        assert!(problem.contains("empty"), "{problem}");
    }
}

#[test]
fn header_only() {
    for text in [
        "id,seat_identifier,seat_class",
        "id,seat_identifier,seat_class\n",
        "id,seat_identifier,seat_class\r\n\r\n",
    ] {
        let (line, _, problem) = csv_error(seats(text));
        assert_eq!(line, 1, "{text:?}");
        assert!(problem.contains("no rows"), "{problem}");
    }
}

#[test]
fn error_display_names_the_line() {
    let err = seats("id,seat_identifier,seat_class\n1,,A\n").unwrap_err();
    assert_eq!(err.to_string(), "line 2: seat_identifier is empty");
}

// --- pricing ------------------------------------------------------------------------------------

#[test]
fn plain_pricing_file() {
    let rows =
        pricing("id,seat_class,min_price,normal_price,max_price\n1,A,10,20.5,30.25\n").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[0].class, "A");
    assert_eq!(rows[0].external_id.as_deref(), Some("1"));
    assert_eq!(rows[0].prices, tp(Some(1_000), Some(2_050), Some(3_025)));
}

#[test]
fn prices_written_like_humans() {
    let rows = pricing(
        "ID,SEAT_CLASS,MIN_PRICE,NORMAL_PRICE,MAX_PRICE\r\n\
         1,A,$297.63,297,$1,297.5\r\n",
    );
    // `$1,297.5` has an unquoted comma: it is two fields → wrong field count.
    let (_, column, problem) = csv_error(rows);
    assert_eq!(column, None);
    assert!(problem.contains("expected 5 fields, found 6"), "{problem}");
    let rows = pricing(
        "ID,SEAT_CLASS,MIN_PRICE,NORMAL_PRICE,MAX_PRICE\r\n\
         1,A,$297.63,297,\"$1,297.5\"\r\n",
    )
    .unwrap();
    assert_eq!(
        rows[0].prices,
        tp(Some(29_763), Some(29_700), Some(129_750))
    );
}

#[test]
fn empty_price_cells_are_absent() {
    let rows =
        pricing("id,seat_class,min_price,normal_price,max_price\n1,A,,,\n2,B, , $5 ,\n3,C,1,,\n")
            .unwrap();
    let p: Vec<TierPrices> = rows.iter().map(|r| r.prices).collect();
    assert_eq!(
        p,
        [
            tp(None, None, None),
            tp(None, Some(500), None),
            tp(Some(100), None, None)
        ]
    );
}

#[test]
fn pricing_columns_in_another_order_with_bom_and_no_final_newline() {
    let rows =
        pricing("\u{feff}max_price,Seat_Class,normal_price,ID,min_price\r\n3,VIP,2,x,1").unwrap();
    assert_eq!(rows[0].class, "VIP");
    assert_eq!(rows[0].external_id.as_deref(), Some("x"));
    assert_eq!(rows[0].prices, tp(Some(100), Some(200), Some(300)));
}

#[test]
fn bad_price_names_line_and_column() {
    let (line, column, problem) = csv_error(pricing(
        "id,seat_class,min_price,normal_price,max_price\n1,A,1,2,3\n2,B,1,2,3\n3,C,1,2,abc\n",
    ));
    assert_eq!(line, 4);
    assert_eq!(column.as_deref(), Some("max_price"));
    assert!(problem.contains("abc"), "{problem}");
}

#[test]
fn negative_and_over_precise_prices_are_refused() {
    let (line, column, _) = csv_error(pricing(
        "id,seat_class,min_price,normal_price,max_price\n1,A,-1,,\n",
    ));
    assert_eq!((line, column.as_deref()), (2, Some("min_price")));
    let (line, column, _) = csv_error(pricing(
        "id,seat_class,min_price,normal_price,max_price\n1,A,,1.234,\n",
    ));
    assert_eq!((line, column.as_deref()), (2, Some("normal_price")));
}

#[test]
fn duplicate_class_in_pricing_names_the_first_line() {
    let (line, column, problem) = csv_error(pricing(
        "id,seat_class,min_price,normal_price,max_price\n1,A,1,2,3\n2,B,1,2,3\n3,A,4,5,6\n",
    ));
    assert_eq!(line, 4);
    assert_eq!(column.as_deref(), Some("seat_class"));
    assert!(problem.contains("line 2"), "{problem}");
}

#[test]
fn pricing_missing_column_and_empty_inputs() {
    let (line, column, _) = csv_error(pricing("id,seat_class,min_price,normal_price\n1,A,1,2\n"));
    assert_eq!((line, column.as_deref()), (1, Some("max_price")));
    let (line, _, _) = csv_error(pricing(""));
    assert_eq!(line, 1);
    let (line, _, _) = csv_error(pricing(
        "id,seat_class,min_price,normal_price,max_price\r\n",
    ));
    assert_eq!(line, 1);
    let (line, column, _) = csv_error(pricing(
        "id,seat_class,min_price,normal_price,max_price\n1,,1,2,3\n",
    ));
    assert_eq!((line, column.as_deref()), (2, Some("seat_class")));
}

#[test]
fn seats_file_is_not_a_pricing_file() {
    let (line, column, _) = csv_error(pricing("id,seat_identifier,seat_class\n1,A1,A\n"));
    assert_eq!(line, 1);
    assert!(column.is_some());
}

// --- the shared fixture files (tests/fixtures at the repository top) ----------------------------

const SEATS_QUIRKY: &[u8] = include_bytes!("../../../../tests/fixtures/seats_quirky.csv");
const PRICING_QUIRKY: &[u8] = include_bytes!("../../../../tests/fixtures/pricing_quirky.csv");
const SEATS_BAD_ROW: &[u8] = include_bytes!("../../../../tests/fixtures/seats_bad_row.csv");
const PRICING_BAD_PRICE: &[u8] = include_bytes!("../../../../tests/fixtures/pricing_bad_price.csv");

#[test]
fn fixture_seats_quirky_has_its_quirks_and_parses() {
    assert!(SEATS_QUIRKY.starts_with(b"Id,Seat_Identifier,Seat_Class\r\n"));
    assert!(!SEATS_QUIRKY.ends_with(b"\n"), "no final newline");
    assert!(
        !SEATS_QUIRKY
            .windows(2)
            .any(|w| w[1] == b'\n' && w[0] != b'\r'),
        "CRLF only"
    );
    let rows = parse_seats_csv(SEATS_QUIRKY).unwrap();
    assert_eq!(rows.len(), 12);
    let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        ["A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4", "B5", "B6"]
    );
    assert!(rows[..6].iter().all(|r| r.class == "A"));
    assert!(rows[6..].iter().all(|r| r.class == "B"));
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.external_id.clone().unwrap())
        .collect();
    let expected: Vec<String> = (1..=12).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);
    // rows[11].line should be 13: see `fixture_line_numbers` (ignored: CRLF line-number bug)
}

#[test]
fn fixture_line_numbers() {
    let rows = parse_seats_csv(SEATS_QUIRKY).unwrap();
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, (2..=13).collect::<Vec<u64>>());
    let rows = parse_pricing_csv(PRICING_QUIRKY).unwrap();
    assert_eq!((rows[0].line, rows[1].line), (2, 3));
}

#[test]
fn fixture_pricing_quirky_has_its_quirks_and_parses() {
    assert!(PRICING_QUIRKY.starts_with(b"ID,SEAT_CLASS,MIN_PRICE,NORMAL_PRICE,MAX_PRICE\r\n"));
    assert!(!PRICING_QUIRKY.ends_with(b"\n"), "no final newline");
    let rows = parse_pricing_csv(PRICING_QUIRKY).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].class, "A");
    assert_eq!(rows[0].prices, tp(Some(29_763), Some(35_000), None));
    assert_eq!(rows[1].class, "B");
    assert_eq!(rows[1].prices, tp(None, Some(12_000), Some(15_050)));
}

#[test]
fn fixture_seats_bad_row_fails_on_line_4() {
    let (line, column, _) = csv_error(parse_seats_csv(SEATS_BAD_ROW));
    assert_eq!(line, 4);
    assert_eq!(column.as_deref(), Some("seat_identifier"));
}

#[test]
fn fixture_pricing_bad_price_fails_on_line_3_normal_price() {
    let (line, column, problem) = csv_error(parse_pricing_csv(PRICING_BAD_PRICE));
    assert_eq!(line, 3);
    assert_eq!(column.as_deref(), Some("normal_price"));
    assert!(problem.contains("abc"), "{problem}");
}
