//! The event search: `q` parsed by `EventFilter::validated`, matched by `event_matches_text`.

use crate::catalog::{event_matches_text, EventFilter};
use crate::limits::SEARCH_MAX_CHARS;

use super::failing_fields;

fn text(q: &str) -> EventFilter {
    EventFilter {
        text: Some(q.to_owned()),
        ..EventFilter::default()
    }
}

#[test]
fn the_search_text_is_trimmed_and_a_blank_one_is_no_search() {
    assert_eq!(
        text("  Jazz night \t").validated().unwrap().text.as_deref(),
        Some("Jazz night")
    );
    for blank in ["", "   ", "\t"] {
        assert_eq!(text(blank).validated().unwrap().text, None, "{blank:?}");
    }
    assert_eq!(EventFilter::default().validated().unwrap().text, None);
}

#[test]
fn the_search_text_is_one_line_of_at_most_200_characters() {
    let longest = "é".repeat(SEARCH_MAX_CHARS);
    assert_eq!(
        text(&format!(" {longest} ")).validated().unwrap().text,
        Some(longest.clone())
    );
    assert_eq!(
        failing_fields(text(&format!("{longest}x")).validated()),
        ["q"]
    );
    for bad in ["a\nb", "a\u{0}b", "a\u{7f}"] {
        assert_eq!(failing_fields(text(bad).validated()), ["q"], "{bad:?}");
    }
}

#[test]
fn an_event_matches_when_its_title_or_description_contains_the_text_in_any_case() {
    assert!(event_matches_text("Jazz Night", "", "jazz"));
    assert!(event_matches_text("Jazz Night", "", "ZZ NI"));
    assert!(event_matches_text(
        "Concert",
        "Late-night JAZZ trio",
        "jazz"
    ));
    assert!(event_matches_text("Über Café", "", "über café"));
    assert!(!event_matches_text("Jazz Night", "a trio", "rock"));
    assert!(!event_matches_text("Jazz  Night", "", "jazz night"));
}

#[test]
fn wildcards_are_plain_characters() {
    assert!(event_matches_text("100% fun", "", "100%"));
    assert!(!event_matches_text("100 fun", "", "100%"));
    assert!(event_matches_text("snake_case", "", "e_c"));
    assert!(!event_matches_text("snakeXcase", "", "e_c"));
    assert!(!event_matches_text("abc", "", "a%c"));
    assert!(event_matches_text(r"back\slash", "", r"k\s"));
}
