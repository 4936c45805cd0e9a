//! Reading back the `.eml` files of the file transport (for tests and for humans).
//!
//! Handles what lettre writes for a single-part `text/plain; charset=utf-8` email: folded
//! headers, RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in the subject, and a body
//! in `7bit`, `8bit`, `quoted-printable` or `base64` — and, for an email with an HTML part, the
//! `multipart/alternative` of a text and an HTML part it writes. Not a general MIME parser (no
//! nesting, no attachments).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// One email read back from a `.eml` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadEmail {
    /// The decoded subject.
    pub subject: String,
    /// The decoded text body, with CRLF line endings turned back into `\n` (lettre writes CRLF).
    pub body: String,
    /// The decoded HTML part of a `multipart/alternative` email (`None` for a text-only one).
    pub html: Option<String>,
    /// The `.eml` file.
    pub path: PathBuf,
}

/// The newest email in `dir` whose `To:` header contains `to` (case-insensitive), decoded.
///
/// "Newest" is the latest modification time, ties broken by the greater file name. Only `*.eml`
/// files are looked at; a missing `dir` gives `Ok(None)`, like a directory without a match.
/// An error is an I/O failure, or a matching file whose body cannot be decoded (`InvalidData`).
pub fn latest_email_to(dir: &Path, to: &str) -> io::Result<Option<ReadEmail>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if !path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("eml"))
        {
            continue;
        }
        let meta = match fs::metadata(&path) {
            Ok(meta) => meta,
            // removed since read_dir listed it
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.is_file() {
            files.push((meta.modified()?, entry.file_name(), path));
        }
    }
    // newest first
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));

    let needle = to.trim().to_lowercase();
    for (_, _, path) in files {
        let raw = match fs::read(&path) {
            Ok(raw) => raw,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let email = Parsed::new(&raw);
        let matches = email
            .header("to")
            .is_some_and(|value| value.to_lowercase().contains(&needle));
        if !matches {
            continue;
        }
        return decoded(&email, path).map(Some);
    }
    Ok(None)
}

/// The email of one `.eml` file, decoded (an I/O failure, or `InvalidData` for a body that
/// cannot be decoded).
pub fn read_email(path: &Path) -> io::Result<ReadEmail> {
    let raw = fs::read(path)?;
    decoded(&Parsed::new(&raw), path.to_owned())
}

fn decoded(email: &Parsed<'_>, path: PathBuf) -> io::Result<ReadEmail> {
    let subject = decode_words(email.header("subject").unwrap_or_default());
    let (body, html) = decode_parts(email).map_err(|problem| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {problem}", path.display()),
        )
    })?;
    Ok(ReadEmail {
        subject,
        body,
        html,
        path,
    })
}

/// The unfolded headers and the raw body of a message.
struct Parsed<'a> {
    headers: Vec<(String, String)>,
    body: &'a [u8],
}

impl<'a> Parsed<'a> {
    fn new(raw: &'a [u8]) -> Self {
        let (head, body) = split_head(raw);
        let head = String::from_utf8_lossy(head);
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with([' ', '\t']) {
                // a folded line: unfolding removes only the line break
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                let value = value.strip_prefix([' ', '\t']).unwrap_or(value);
                headers.push((name.trim().to_ascii_lowercase(), value.to_owned()));
            }
        }
        Self { headers, body }
    }

    /// The first header of that (lower-case) name.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits at the first empty line (CRLF or LF endings).
fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    let crlf = find(raw, b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = find(raw, b"\n\n").map(|i| (i, i + 2));
    let split = match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match split {
        Some((end, start)) => (&raw[..end], &raw[start..]),
        None => (raw, &[]),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes RFC 2047 encoded words in an (unfolded) header value; whitespace between two
/// adjacent encoded words is dropped, as the RFC says. Charsets other than UTF-8 are read as
/// UTF-8 (lettre only writes UTF-8).
pub(crate) fn decode_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        match encoded_word(&rest[start..]) {
            Some((bytes, len)) => {
                if !(after_word && before.chars().all(|c| c == ' ' || c == '\t')) {
                    out.push_str(before);
                }
                out.push_str(&String::from_utf8_lossy(&bytes));
                rest = &rest[start + len..];
                after_word = true;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `=?charset?B|Q?text?=` at the start of `s`: the decoded bytes and the length of the word.
fn encoded_word(s: &str) -> Option<(Vec<u8>, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (_charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let text = &inner[..end];
    if text.contains([' ', '\t']) {
        return None;
    }
    let bytes = match encoding {
        "b" | "B" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?,
        "q" | "Q" => {
            let text = text.replace('_', " ");
            decode_quoted_printable(text.as_bytes())
        }
        _ => return None,
    };
    let len = s.len() - inner.len() + end + 2;
    Some((bytes, len))
}

/// The text body and the HTML part (if any) of a message: a single part, or the
/// `text/plain` and `text/html` parts of a `multipart/alternative`.
fn decode_parts(email: &Parsed<'_>) -> Result<(String, Option<String>), String> {
    let content_type = email.header("content-type").unwrap_or_default();
    if !content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/")
    {
        let body = decode_body(email.header("content-transfer-encoding"), email.body)?;
        return Ok((body, None));
    }
    let boundary = content_type
        .split(';')
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| v.trim().trim_matches('"').to_owned())
        })
        .ok_or("a multipart email without a boundary")?;
    let delimiter = format!("--{boundary}");
    let raw = String::from_utf8_lossy(email.body);
    let (mut text, mut html) = (None, None);
    // The parts lie between delimiter lines; the preamble before the first and everything after
    // the closing `--boundary--` are skipped.
    for chunk in raw.split(delimiter.as_str()).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        let chunk = chunk
            .strip_prefix("\r\n")
            .or_else(|| chunk.strip_prefix('\n'));
        let chunk = chunk.ok_or("a malformed multipart delimiter line")?;
        // The line break before the next delimiter belongs to the delimiter.
        let chunk = chunk
            .strip_suffix("\r\n")
            .or_else(|| chunk.strip_suffix('\n'))
            .unwrap_or(chunk);
        let part = Parsed::new(chunk.as_bytes());
        let decoded = decode_body(part.header("content-transfer-encoding"), part.body)?;
        let kind = part
            .header("content-type")
            .unwrap_or("text/plain")
            .trim()
            .to_ascii_lowercase();
        if kind.starts_with("text/html") {
            html.get_or_insert(decoded);
        } else if kind.starts_with("text/plain") {
            text.get_or_insert(decoded);
        }
    }
    let text = text.ok_or("a multipart email without a text/plain part")?;
    Ok((text, html))
}

/// The body as text, CRLF turned into LF.
fn decode_body(encoding: Option<&str>, body: &[u8]) -> Result<String, String> {
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    let bytes = match encoding.as_deref() {
        None | Some("7bit" | "8bit" | "binary") => body.to_vec(),
        Some("quoted-printable") => decode_quoted_printable(body),
        Some("base64") => {
            let compact: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| format!("invalid base64 body: {e}"))?
        }
        Some(other) => return Err(format!("unsupported Content-Transfer-Encoding '{other}'")),
    };
    Ok(String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` is a byte, `=` at the end of a line a soft line
/// break; anything else (including a malformed `=`) is kept as is.
pub(crate) fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'=' {
            let next = &input[i + 1..];
            if next.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if next.starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let (Some(hi), Some(lo)) = (hex(next.first()), hex(next.get(1))) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

fn hex(b: Option<&u8>) -> Option<u8> {
    (*b? as char).to_digit(16).map(|d| d as u8)
}
