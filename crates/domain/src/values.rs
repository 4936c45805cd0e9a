//! Value objects with fallible constructors ("parse, don't validate").

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_AMOUNT, MAX_YEAR, MIN_YEAR};

/// Why a value was rejected; `field` is filled in by the caller that knows the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    pub message: String,
}

impl InvalidValue {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// ISO 4217 currency code: three upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, InvalidValue> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(|b| b.is_ascii_alphabetic()) {
            let upper = code.to_ascii_uppercase();
            let b = upper.as_bytes();
            Ok(Self([b[0], b[1], b[2]]))
        } else {
            Err(InvalidValue::new(
                "currency must be a three-letter ISO 4217 code such as USD",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        // Always ASCII by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point of the currency's minor unit (ISO 4217): 0 for `JPY`,
    /// `KRW`, …, 3 for `BHD`, `KWD`, …, 2 for every other code.
    pub fn minor_digits(&self) -> u32 {
        const ZERO: [&str; 17] = [
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ];
        const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
        match self.as_str() {
            c if ZERO.contains(&c) => 0,
            c if THREE.contains(&c) => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.as_str().to_owned()
    }
}

/// An amount of money in integer minor units (cents) of a currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl fmt::Display for Money {
    /// `12.50 USD`, `1200 JPY`, `-0.05 EUR`: the minor units with the currency's decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if digits == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let unit = 10u64.pow(digits);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / unit,
            abs % unit,
            self.currency,
            width = digits as usize
        )
    }
}

/// The one rule of a money amount that comes in (a price, a payment or refund amount, JSON or
/// CSV): integer minor units from 0 to [`MAX_AMOUNT`]. With at most
/// [`crate::catalog::MAX_SEATS_PER_SHOW`] places per booking, no total of a permitted booking can
/// overflow.
pub fn check_amount(amount_minor: i64) -> Result<i64, InvalidValue> {
    if amount_minor < 0 {
        return Err(InvalidValue::new("amount must not be negative"));
    }
    if amount_minor > MAX_AMOUNT {
        return Err(InvalidValue::new(format!(
            "amount must be at most {MAX_AMOUNT} (minor units)"
        )));
    }
    Ok(amount_minor)
}

/// A total that does not fit in 64 bits (only possible with amounts stored before the ceiling
/// existed). It becomes a 422 on `total`, never an internal error (`From<TotalOverflows> for
/// DomainError`, so `.ok_or_else(total_overflows)?` answers it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalOverflows;

impl TotalOverflows {
    /// The message of the 422.
    pub fn message(self) -> String {
        format!("the total is too large: amounts are at most {MAX_AMOUNT} minor units")
    }
}

/// The error of a total that does not fit in 64 bits: see [`TotalOverflows`].
pub fn total_overflows() -> TotalOverflows {
    TotalOverflows
}

impl Money {
    /// An amount within [`check_amount`]; prices and totals are never negative.
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, InvalidValue> {
        check_amount(amount_minor)?;
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    pub fn zero(currency: Currency) -> Self {
        Self {
            amount_minor: 0,
            currency,
        }
    }

    /// Adds two amounts of the same currency; `None` on a currency mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Some(Money {
            amount_minor: self.amount_minor.checked_add(other.amount_minor)?,
            currency: self.currency,
        })
    }
}

/// Parses a price written for humans, such as `$297.63`, `297.63`, `297` or `1,297.5`, into minor
/// units (two decimal places). An empty string is `Ok(None)` ("absent").
pub fn parse_price(text: &str) -> Result<Option<i64>, InvalidValue> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let t = t
        .strip_prefix('$')
        .or_else(|| t.strip_prefix('€'))
        .or_else(|| t.strip_prefix('£'))
        .unwrap_or(t)
        .trim();
    let cleaned: String = t.chars().filter(|c| *c != ',' && *c != '_').collect();
    if cleaned.starts_with('-') {
        return Err(InvalidValue::new(format!(
            "price '{text}' must not be negative"
        )));
    }
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty())
        || !digits_ok(whole)
        || !digits_ok(frac)
        || frac.len() > 2
        || whole.len() > 12
    {
        return Err(InvalidValue::new(format!(
            "'{text}' is not a price (expected e.g. $297.63)"
        )));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| InvalidValue::new(format!("'{text}' is not a price")))?
    };
    let mut cents: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse()
            .map_err(|_| InvalidValue::new(format!("'{text}' is not a price")))?
    };
    if frac.len() == 1 {
        cents *= 10;
    }
    let amount = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(|| InvalidValue::new(format!("'{text}' is not a price")))?;
    check_amount(amount)
        .map(Some)
        .map_err(|e| InvalidValue::new(format!("price '{text}': {}", e.message)))
}

/// The one rule of a timestamp that comes in (a show's start and end, an event's date, a list
/// filter): its year is within [`MIN_YEAR`]..=[`MAX_YEAR`] (what RFC 3339 and PostgreSQL both
/// represent, with room for a default end two hours later), and it is truncated to whole
/// microseconds, the precision PostgreSQL stores, so that what is answered at once and what is
/// read back later are the same instant.
pub fn parse_instant(value: DateTime<Utc>, what: &str) -> Result<DateTime<Utc>, InvalidValue> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&value.year()) {
        return Err(InvalidValue::new(format!(
            "{what} must be within the years {MIN_YEAR} to {MAX_YEAR}"
        )));
    }
    // Not `DurationRound`: it works on nanoseconds since 1970 (years 1677 to 2262 only).
    value
        .with_nanosecond(value.nanosecond() / 1_000 * 1_000)
        .ok_or_else(|| InvalidValue::new(format!("{what} is not a valid instant")))
}

/// Whether a text field may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Names, labels, references, contacts: no control character at all.
    One,
    /// Addresses, descriptions, reasons: line breaks and tabs (`\n`, `\r`, `\t`) are allowed.
    Many,
}

/// The one character rule of every text that comes in (JSON fields, query strings, CSV cells):
/// no NUL and no other control character (Unicode `Cc`: U+0000–U+001F, U+007F–U+009F), except
/// `\n`, `\r` and `\t` in a multi-line field. PostgreSQL cannot store NUL, and the others
/// only hide text from people reading it.
pub fn check_chars(value: &str, what: &str, lines: Lines) -> Result<(), InvalidValue> {
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
    match value.chars().find(|c| c.is_control() && !allowed(*c)) {
        None => Ok(()),
        Some(c) => Err(InvalidValue::new(format!(
            "{what} must not contain control characters (found U+{:04X}){}",
            u32::from(c),
            if lines == Lines::Many {
                "; only line breaks and tabs are allowed"
            } else {
                ""
            }
        ))),
    }
}

/// The shape of a free-text field: its longest length (characters, after trimming), whether it
/// may be empty, and whether it may span lines. Every free-text field is parsed by
/// [`TextRule::parse`] (or [`parse_text`], the required one-line case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub max_chars: usize,
    pub optional: bool,
    pub lines: Lines,
}

impl TextRule {
    /// A required one-line text (a name, a title).
    pub const fn line(max_chars: usize) -> Self {
        Self {
            max_chars,
            optional: false,
            lines: Lines::One,
        }
    }
    /// A one-line text that may be empty (a screen name, an external reference).
    pub const fn optional_line(max_chars: usize) -> Self {
        Self {
            max_chars,
            optional: true,
            lines: Lines::One,
        }
    }
    /// A multi-line text that may be empty (an address, a description).
    pub const fn optional_lines(max_chars: usize) -> Self {
        Self {
            max_chars,
            optional: true,
            lines: Lines::Many,
        }
    }
    /// A required multi-line text (a refund reason).
    pub const fn lines(max_chars: usize) -> Self {
        Self {
            max_chars,
            optional: false,
            lines: Lines::Many,
        }
    }

    /// The trimmed text, or why it breaks the rule (`what` names the field in the message).
    pub fn parse(self, value: &str, what: &str) -> Result<String, InvalidValue> {
        let v = value.trim();
        if v.is_empty() && !self.optional {
            return Err(InvalidValue::new(format!("{what} must not be empty")));
        }
        if v.chars().count() > self.max_chars {
            return Err(InvalidValue::new(format!(
                "{what} must be at most {} characters",
                self.max_chars
            )));
        }
        check_chars(v, what, self.lines)?;
        Ok(v.to_owned())
    }
}

fn bounded_text(value: &str, what: &str, max: usize) -> Result<String, InvalidValue> {
    TextRule::line(max).parse(value, what)
}

/// A person's or a thing's name: trimmed, non-empty, at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 200;
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        bounded_text(value, "name", Self::MAX).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Free-form bounded text (titles, addresses…): trimmed, non-empty, at most `max` characters.
pub fn parse_text(value: &str, what: &str, max: usize) -> Result<String, InvalidValue> {
    bounded_text(value, what, max)
}

/// An email address, lower-cased; a pragmatic check (one `@`, a dot in the domain, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        check_chars(value.trim(), "email", Lines::One)?;
        let v = value.trim().to_lowercase();
        let bad = || InvalidValue::new(format!("'{}' is not a valid email address", value.trim()));
        if v.len() > 254 || v.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        let (local, domain) = v.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(bad());
        }
        Ok(Self(v))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number normalised to `+` and digits (E.164-like: 7 to 15 digits).
/// Spaces, dashes, dots and parentheses are accepted as separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Phone(String);

impl Phone {
    /// The fewest and most digits of a phone number.
    pub const MIN_DIGITS: usize = 7;
    pub const MAX_DIGITS: usize = 15;

    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        check_chars(value.trim(), "phone", Lines::One)?;
        let v = value.trim();
        let bad = || InvalidValue::new(format!("'{v}' is not a valid phone number"));
        let (plus, rest) = match v.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, v),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(bad());
        }
        Ok(Self(if plus { format!("+{digits}") } else { digits }))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A seat label such as `A1`, `AA12` or `12`: an optional row part of letters followed by a seat
/// number. Ordered naturally: by row, then by number (A2 before A10).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SeatLabel {
    label: String,
    row: String,
    number: u32,
}

impl SeatLabel {
    pub const MAX: usize = 20;

    pub fn parse(value: &str) -> Result<Self, InvalidValue> {
        check_chars(value.trim(), "seat label", Lines::One)?;
        let v = value.trim();
        if v.is_empty() || v.len() > Self::MAX {
            return Err(InvalidValue::new(format!(
                "seat label '{v}' must be 1 to {} characters",
                Self::MAX
            )));
        }
        if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(InvalidValue::new(format!(
                "seat label '{v}' may contain only letters, digits, '-' and '_'"
            )));
        }
        let split = v
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit())
            .last()
            .map(|(i, _)| i)
            .unwrap_or(v.len());
        let (row, num) = v.split_at(split);
        let number = if num.is_empty() {
            0
        } else {
            num.parse::<u32>()
                .map_err(|_| InvalidValue::new(format!("seat label '{v}' has a bad number")))?
        };
        Ok(Self {
            label: v.to_owned(),
            row: row.trim_end_matches(['-', '_']).to_owned(),
            number,
        })
    }

    /// Builds the label for `row` and seat `number` (`A` + 7 → `A7`).
    pub fn from_parts(row: &str, number: u32) -> Result<Self, InvalidValue> {
        Self::parse(&format!("{}{}", row.trim(), number))
    }

    pub fn as_str(&self) -> &str {
        &self.label
    }
    pub fn row(&self) -> &str {
        &self.row
    }
    pub fn number(&self) -> u32 {
        self.number
    }
}

impl Ord for SeatLabel {
    fn cmp(&self, other: &Self) -> Ordering {
        natural_cmp(
            &self.row,
            self.number,
            &self.label,
            &other.row,
            other.number,
            &other.label,
        )
    }
}

impl PartialOrd for SeatLabel {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Natural seat order: row by length then text (so `B` < `AA`), then number, then the raw label.
pub fn natural_cmp(
    row_a: &str,
    num_a: u32,
    label_a: &str,
    row_b: &str,
    num_b: u32,
    label_b: &str,
) -> Ordering {
    row_a
        .len()
        .cmp(&row_b.len())
        .then_with(|| row_a.cmp(row_b))
        .then_with(|| num_a.cmp(&num_b))
        .then_with(|| label_a.cmp(label_b))
}

impl fmt::Display for SeatLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

#[cfg(test)]
mod tests;
