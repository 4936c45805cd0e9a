//! The value objects: currencies, money and prices, names, emails, phones, seat labels.

use super::*;

#[test]
fn currency_parses_and_uppercases() {
    assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
    assert!(Currency::parse("US").is_err());
    assert!(Currency::parse("US1").is_err());
    assert!(Currency::parse("EURO").is_err());
}

#[test]
fn money_is_non_negative_and_adds_same_currency() {
    let usd = Currency::parse("USD").unwrap();
    let eur = Currency::parse("EUR").unwrap();
    assert!(Money::new(-1, usd).is_err());
    let a = Money::new(150, usd).unwrap();
    assert_eq!(a.checked_add(a).unwrap().amount_minor, 300);
    assert!(a.checked_add(Money::zero(eur)).is_none());
    assert!(Money::new(MAX_AMOUNT + 1, usd).is_err());
    let most = Money::new(MAX_AMOUNT, usd).unwrap();
    assert!(Money {
        amount_minor: i64::MAX,
        ..most
    }
    .checked_add(a)
    .is_none());
}

#[test]
fn prices_parse_like_humans_write_them() {
    assert_eq!(parse_price("$297.63").unwrap(), Some(29763));
    assert_eq!(parse_price(" 297.63 ").unwrap(), Some(29763));
    assert_eq!(parse_price("297").unwrap(), Some(29700));
    assert_eq!(parse_price("$1,297.5").unwrap(), Some(129750));
    assert_eq!(parse_price(".5").unwrap(), Some(50));
    assert_eq!(parse_price("").unwrap(), None);
    assert_eq!(parse_price("   ").unwrap(), None);
    assert!(parse_price("$-1.00").is_err());
    assert!(parse_price("-1").is_err());
    assert!(parse_price("12.345").is_err());
    assert!(parse_price("abc").is_err());
    assert!(parse_price("$").is_err());
    assert!(parse_price("1.2.3").is_err());
}

#[test]
fn names_are_trimmed_and_bounded() {
    assert_eq!(Name::parse("  Ada ").unwrap().as_str(), "Ada");
    assert!(Name::parse("   ").is_err());
    assert!(Name::parse(&"x".repeat(201)).is_err());
    assert!(Name::parse("a\u{0}b").is_err());
    assert_eq!(Name::parse("Zoë").unwrap().into_inner(), "Zoë");
    assert!(parse_text("", "title", 10).is_err());
}

#[test]
fn emails() {
    assert_eq!(
        Email::parse(" Ada@Example.COM ").unwrap().as_str(),
        "ada@example.com"
    );
    for bad in [
        "",
        "ada",
        "ada@",
        "@x.com",
        "a@b",
        "a b@c.com",
        "a@@b.com",
        "a@.b.com",
        "a@b.com.",
        "a@b..com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn phones() {
    assert_eq!(
        Phone::parse("+1 (555) 010-9999").unwrap().as_str(),
        "+15550109999"
    );
    assert_eq!(Phone::parse("0123 456 789").unwrap().as_str(), "0123456789");
    assert!(Phone::parse("12345").is_err());
    assert!(Phone::parse("+1 555 CALL NOW").is_err());
    assert!(Phone::parse("1234567890123456").is_err());
}

#[test]
fn seat_labels_order_naturally() {
    let mut v: Vec<SeatLabel> = ["A10", "B1", "A2", "AA1", "A1"]
        .iter()
        .map(|s| SeatLabel::parse(s).unwrap())
        .collect();
    v.sort();
    let s: Vec<&str> = v.iter().map(|l| l.as_str()).collect();
    assert_eq!(s, ["A1", "A2", "A10", "B1", "AA1"]);
    let l = SeatLabel::parse("C12").unwrap();
    assert_eq!((l.row(), l.number()), ("C", 12));
    assert_eq!(SeatLabel::parse("7").unwrap().number(), 7);
    assert_eq!(SeatLabel::parse("GA").unwrap().number(), 0);
    assert_eq!(SeatLabel::from_parts("D", 3).unwrap().to_string(), "D3");
    assert!(SeatLabel::parse("").is_err());
    assert!(SeatLabel::parse("A 1").is_err());
    assert!(SeatLabel::parse(&"A".repeat(21)).is_err());
    assert!(SeatLabel::parse("A99999999999").is_err());
}
