//! Parsing of seat-map and pricing CSV files (the `csv` crate; no I/O: bytes in, rows out).
//!
//! * Seats: `id,seat_identifier,seat_class`
//! * Pricing: `id,seat_class,min_price,normal_price,max_price`
//!
//! Header names are matched case-insensitively and may come in any order; extra columns are
//! ignored. Windows line endings, a UTF-8 BOM, a missing final newline, prices written like
//! `$297.63` and empty price cells ("absent") are accepted. Errors name the line (the header is
//! line 1), the column and the problem.

use std::collections::HashMap;

use crate::catalog::{parse_class_name, EXTERNAL_REF_RULE};
use crate::error::DomainError;
use crate::pricing::TierPrices;
use crate::values::{check_chars, parse_price, Lines, SeatLabel};

/// A seat row of the seats file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRow {
    pub line: u64,
    pub external_id: Option<String>,
    pub label: SeatLabel,
    pub class: String,
}

/// A class row of the pricing file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingRow {
    pub line: u64,
    pub external_id: Option<String>,
    pub class: String,
    pub prices: TierPrices,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

fn err(line: u64, column: Option<&str>, problem: impl Into<String>) -> DomainError {
    DomainError::InvalidCsv {
        line,
        column: column.map(str::to_owned),
        problem: problem.into(),
    }
}

struct Table {
    columns: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read_table(bytes: &[u8], required: &[&str]) -> Result<Table, DomainError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(err(1, None, "the file is empty: expected a header line"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| err(1, None, format!("unreadable header: {e}")))?
        .clone();
    let mut columns = HashMap::new();
    let mut names = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        check_chars(h, "a column name", Lines::One).map_err(|e| err(1, None, e.message))?;
        names.push(h.trim().to_ascii_lowercase());
        let key = h.trim().to_ascii_lowercase();
        if !key.is_empty() && columns.insert(key.clone(), i).is_some() {
            return Err(err(1, Some(&key), format!("column '{key}' appears twice")));
        }
    }
    for r in required {
        if !columns.contains_key(*r) {
            return Err(err(
                1,
                Some(r),
                format!("missing column '{r}' (expected {})", required.join(",")),
            ));
        }
    }
    // The csv crate's own line counter does not count `\r\n` and skipped blank lines the way a
    // person reads the file, so lines are counted from the byte offset of each record.
    let line_at = |pos: Option<&csv::Position>| -> u64 {
        let Some(pos) = pos else { return 0 };
        let mut b = usize::try_from(pos.byte())
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while b < bytes.len() && (bytes[b] == b'\n' || bytes[b] == b'\r') {
            b += 1;
        }
        1 + bytes[..b].iter().filter(|c| **c == b'\n').count() as u64
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = line_at(e.position());
            err(line, None, format!("unreadable row: {e}"))
        })?;
        let line = line_at(record.position());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            return Err(err(
                line,
                None,
                format!("expected {} fields, found {}", headers.len(), record.len()),
            ));
        }
        // The text rule of every cell, read or not: no NUL, no control characters.
        for (name, cell) in names.iter().zip(record.iter()) {
            check_chars(cell, name, Lines::One).map_err(|e| err(line, Some(name), e.message))?;
        }
        rows.push((line, record));
    }
    if rows.is_empty() {
        return Err(err(1, None, "the file has a header but no rows"));
    }
    Ok(Table { columns, rows })
}

impl Table {
    fn get<'a>(&self, record: &'a csv::StringRecord, column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|i| record.get(*i))
            .unwrap_or("")
            .trim()
    }
}

/// The optional `id` cell: a reference in another system ([`EXTERNAL_REF_RULE`]).
fn external_id(line: u64, s: &str) -> Result<Option<String>, DomainError> {
    let id = EXTERNAL_REF_RULE
        .parse(s, "id")
        .map_err(|e| err(line, Some("id"), e.message))?;
    Ok((!id.is_empty()).then_some(id))
}

/// Parses a seats file.
pub fn parse_seats_csv(bytes: &[u8]) -> Result<Vec<SeatRow>, DomainError> {
    let table = read_table(bytes, &["id", "seat_identifier", "seat_class"])?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(table.rows.len());
    for (line, record) in &table.rows {
        let line = *line;
        let label_text = table.get(record, "seat_identifier");
        if label_text.is_empty() {
            return Err(err(
                line,
                Some("seat_identifier"),
                "seat_identifier is empty",
            ));
        }
        let label = SeatLabel::parse(label_text)
            .map_err(|e| err(line, Some("seat_identifier"), e.message))?;
        let class_text = table.get(record, "seat_class");
        let class = parse_class_name(class_text).map_err(|_| {
            err(
                line,
                Some("seat_class"),
                "seat_class must be 1 to 50 characters",
            )
        })?;
        if let Some(first) = seen.insert(label.as_str().to_owned(), line) {
            return Err(err(
                line,
                Some("seat_identifier"),
                format!("seat '{label}' already appears on line {first}"),
            ));
        }
        out.push(SeatRow {
            line,
            external_id: external_id(line, table.get(record, "id"))?,
            label,
            class,
        });
    }
    Ok(out)
}

/// Parses a pricing file.
pub fn parse_pricing_csv(bytes: &[u8]) -> Result<Vec<PricingRow>, DomainError> {
    let table = read_table(
        bytes,
        &["id", "seat_class", "min_price", "normal_price", "max_price"],
    )?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::with_capacity(table.rows.len());
    for (line, record) in &table.rows {
        let line = *line;
        let class = parse_class_name(table.get(record, "seat_class")).map_err(|_| {
            err(
                line,
                Some("seat_class"),
                "seat_class must be 1 to 50 characters",
            )
        })?;
        let price = |col: &str| {
            parse_price(table.get(record, col)).map_err(|e| err(line, Some(col), e.message))
        };
        let prices = TierPrices {
            min_price: price("min_price")?,
            normal_price: price("normal_price")?,
            max_price: price("max_price")?,
        };
        if let Some(first) = seen.insert(class.clone(), line) {
            return Err(err(
                line,
                Some("seat_class"),
                format!("seat class '{class}' already appears on line {first}"),
            ));
        }
        out.push(PricingRow {
            line,
            external_id: external_id(line, table.get(record, "id"))?,
            class,
            prices,
        });
    }
    Ok(out)
}
