//! Tests of the adapters and of the reader, against real files in a temporary directory.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use boxoffice_domain::ports::EmailMessage;
use boxoffice_domain::values::Email;
use boxoffice_domain::DomainError;

use crate::*;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "boxoffice-notify-{tag}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        Self(path)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn settings(transport: &str, dir: &Path) -> EmailSettings {
    EmailSettings {
        transport: transport.to_owned(),
        from: "Boxoffice <no-reply@boxoffice.test>".to_owned(),
        dir: dir.to_string_lossy().into_owned(),
        smtp_url: String::new(),
    }
}

fn email(to: &str, subject: &str, body: &str) -> EmailMessage {
    EmailMessage {
        to: Email::parse(to).unwrap(),
        subject: subject.to_owned(),
        text_body: body.to_owned(),
        html_body: None,
        message_id: None,
    }
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

fn raw(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn unavailable_message(err: DomainError) -> String {
    match err {
        DomainError::Unavailable(message) => message,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

const TOKEN_BODY: &str = "Hello Ada,\n\nconfirm your booking within 15 minutes: \
https://boxoffice.test/api/v1/bookings/confirm?token=AbC-123_xyz&lang=en-GB&utm_source=email_confirmation\n\
Grüße, the boxoffice team\n";

#[tokio::test]
async fn file_mailer_writes_an_eml_that_reads_back_exactly() {
    let tmp = TempDir::new("roundtrip");
    // the directory does not exist yet: building the notifier creates it
    let notifier = build_notifier(&settings("file", &tmp.path().join("mail"))).unwrap();
    let dir = tmp.path().join("mail");
    let subject = "Your tickets for «Hamlet» – confirm now";
    notifier
        .send_email(email("ada@example.com", subject, TOKEN_BODY))
        .await
        .unwrap();

    let files = eml_files(&dir);
    assert_eq!(files.len(), 1);
    let text = raw(&files[0]);
    // the long line and the non-ASCII characters make lettre pick quoted-printable with soft
    // line breaks, and '=' in the URL is escaped: the decoder is really exercised
    assert!(
        text.contains("Content-Transfer-Encoding: quoted-printable"),
        "{text}"
    );
    assert!(text.contains("=\r\n"), "{text}");
    assert!(text.contains("=3D"), "{text}");
    assert!(text.contains("=?utf-8?b?"), "{text}");

    let read = latest_email_to(&dir, "ada@example.com").unwrap().unwrap();
    assert_eq!(read.subject, subject);
    assert_eq!(read.body, TOKEN_BODY);
    assert_eq!(read.path, files[0]);
    assert!(read.body.contains("token=AbC-123_xyz&"));
}

#[tokio::test]
async fn an_email_with_html_is_multipart_alternative_with_both_parts() {
    let tmp = TempDir::new("multipart");
    let notifier = build_notifier(&settings("file", tmp.path())).unwrap();
    let html = "<p>Hello &lt;b&gt;Ann &amp; co&lt;/b&gt;,</p>\n<p>Grüße — booking <strong>BX-1</strong></p>\n";
    let mut message = email("ann@example.com", "Booking BX-1 is confirmed", TOKEN_BODY);
    message.html_body = Some(html.to_owned());
    notifier.send_email(message).await.unwrap();

    let files = eml_files(tmp.path());
    assert_eq!(files.len(), 1);
    let text = raw(&files[0]);
    assert!(
        text.contains("Content-Type: multipart/alternative"),
        "{text}"
    );
    assert!(
        text.contains("Content-Type: text/plain; charset=utf-8"),
        "{text}"
    );
    assert!(
        text.contains("Content-Type: text/html; charset=utf-8"),
        "{text}"
    );
    // The text part first, the HTML part (the one a client prefers) last.
    assert!(text.find("text/plain").unwrap() < text.find("text/html").unwrap());

    let read = latest_email_to(tmp.path(), "ann@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(read.subject, "Booking BX-1 is confirmed");
    assert_eq!(read.body, TOKEN_BODY);
    assert_eq!(read.html.as_deref(), Some(html));

    // Without HTML: one text/plain part, as before.
    notifier
        .send_email(email("bob@example.com", "Plain", "Just text.\n"))
        .await
        .unwrap();
    let plain = latest_email_to(tmp.path(), "bob@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(plain.html, None);
    assert!(!raw(&plain.path).contains("multipart"));
}

#[tokio::test]
async fn ascii_base64_and_folded_emails_read_back_exactly() {
    let tmp = TempDir::new("encodings");
    let notifier = build_notifier(&settings("file", tmp.path())).unwrap();
    let cases = [
        // short ASCII lines: 7bit
        (
            "a@example.com",
            "Plain",
            "Hello\nworld, token AbC-123_xyz\n",
            "7bit",
        ),
        // mostly non-ASCII: base64
        (
            "b@example.com",
            "Подтверждение бронирования Подтверждение бронирования Подтверждение бронирования",
            "Здравствуйте! Ваш билет: AbC-123_xyz 🎟\nСпасибо.",
            "base64",
        ),
        // a long ASCII line without a final newline: quoted-printable, folded subject
        (
            "c@example.com",
            "A subject long enough to be folded by lettre over more than one header line, surely",
            &format!("{} end", "0123456789".repeat(12)),
            "quoted-printable",
        ),
    ];
    for (to, subject, body, encoding) in cases {
        notifier.send_email(email(to, subject, body)).await.unwrap();
        let read = latest_email_to(tmp.path(), to).unwrap().unwrap();
        let text = raw(&read.path);
        assert!(
            text.contains(&format!("Content-Transfer-Encoding: {encoding}\r\n")),
            "{text}"
        );
        assert_eq!(read.subject, subject, "{text}");
        assert_eq!(read.body, body, "{text}");
    }
}

#[tokio::test]
async fn the_newest_email_to_the_address_wins() {
    let tmp = TempDir::new("newest");
    let notifier = build_notifier(&settings("FILE ", tmp.path())).unwrap();
    notifier
        .send_email(email("ada@example.com", "first", "one"))
        .await
        .unwrap();
    // make the first file clearly older, whatever the file system's timestamp resolution
    let first = eml_files(tmp.path()).remove(0);
    std::fs::File::options()
        .write(true)
        .open(&first)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    notifier
        .send_email(email("ada@example.com", "second", "two"))
        .await
        .unwrap();
    notifier
        .send_email(email("bob@example.com", "for bob", "three"))
        .await
        .unwrap();

    let read = latest_email_to(tmp.path(), "ADA@Example.com")
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.subject.as_str(), read.body.as_str()),
        ("second", "two")
    );
    assert_ne!(read.path, first);
    let bob = latest_email_to(tmp.path(), "bob@example.com")
        .unwrap()
        .unwrap();
    assert_eq!(bob.subject, "for bob");
}

#[tokio::test]
async fn another_recipient_is_not_matched() {
    let tmp = TempDir::new("other");
    let notifier = build_notifier(&settings("file", tmp.path())).unwrap();
    notifier
        .send_email(email("ada@example.com", "hi", "body"))
        .await
        .unwrap();
    std::fs::write(
        tmp.path().join("notes.txt"),
        "To: bob@example.com\r\n\r\nnot an email",
    )
    .unwrap();
    assert_eq!(
        latest_email_to(tmp.path(), "bob@example.com").unwrap(),
        None
    );
    assert_eq!(
        latest_email_to(&tmp.path().join("missing"), "ada@example.com").unwrap(),
        None
    );
}

#[tokio::test]
async fn log_mailer_returns_ok_and_writes_nothing() {
    let tmp = TempDir::new("log");
    let notifier = build_notifier(&settings("log", tmp.path())).unwrap();
    notifier
        .send_email(email("ada@example.com", "hi", "secret token AbC-123_xyz"))
        .await
        .unwrap();
    assert!(
        !tmp.path().exists(),
        "the log transport must not touch the directory"
    );
}

#[tokio::test]
async fn an_address_lettre_rejects_is_a_validation_error() {
    let tmp = TempDir::new("badaddr");
    for transport in ["log", "file"] {
        let notifier = build_notifier(&settings(transport, tmp.path())).unwrap();
        // accepted by the domain's pragmatic check, not by lettre
        let err = notifier
            .send_email(email("a<b@example.com", "hi", "body AbC-123_xyz"))
            .await
            .unwrap_err();
        match err {
            DomainError::Validation(fields) => {
                assert_eq!(fields.len(), 1);
                assert_eq!(fields[0].field, "email");
            }
            other => panic!("{transport}: expected Validation, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn transport_failures_are_unavailable_without_the_body() {
    let tmp = TempDir::new("down");
    let notifier = build_notifier(&settings("file", tmp.path())).unwrap();
    std::fs::remove_dir_all(tmp.path()).unwrap();
    let err = notifier
        .send_email(email("ada@example.com", "hi", "token AbC-123_xyz"))
        .await
        .unwrap_err();
    let message = unavailable_message(err);
    assert!(!message.contains("AbC-123_xyz"), "{message}");

    // nothing listens on port 1: connection refused at once
    let mut smtp = settings("smtp", tmp.path());
    smtp.smtp_url = "smtp://user:s3cr3t@127.0.0.1:1".to_owned();
    let notifier = build_notifier(&smtp).unwrap();
    let err = notifier
        .send_email(email("ada@example.com", "hi", "token AbC-123_xyz"))
        .await
        .unwrap_err();
    let message = unavailable_message(err);
    assert!(!message.contains("AbC-123_xyz"), "{message}");
    assert!(!message.contains("s3cr3t"), "{message}");
}

#[test]
fn build_notifier_rejects_bad_settings_clearly() {
    let tmp = TempDir::new("bad");
    let err = build_notifier(&settings("pigeon", tmp.path()))
        .err()
        .unwrap();
    assert!(matches!(err, NotifyError::UnknownTransport(ref t) if t == "pigeon"));
    assert_eq!(
        err.to_string(),
        "unknown email transport 'pigeon': expected \"file\", \"smtp\" or \"log\""
    );

    let mut s = settings("file", tmp.path());
    s.dir = String::new();
    assert!(matches!(
        build_notifier(&s).err().unwrap(),
        NotifyError::MissingDir
    ));

    let mut s = settings("log", tmp.path());
    s.from = "not an address".to_owned();
    let err = build_notifier(&s).err().unwrap();
    assert!(matches!(err, NotifyError::InvalidFrom { .. }), "{err}");

    let mut s = settings("smtp", tmp.path());
    s.smtp_url = "ftp://user:s3cr3t@mail.example.com".to_owned();
    let err = build_notifier(&s).err().unwrap();
    assert!(matches!(err, NotifyError::InvalidSmtpUrl { .. }), "{err}");
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
    assert!(!format!("{err:?}").contains("s3cr3t"), "{err:?}");

    s.smtp_url = "smtps://user:s3cr3t@mail.example.com:465".to_owned();
    let notifier = build_notifier(&s).unwrap();
    drop(notifier);
    let mailer = SmtpMailer::new(&s.from, &s.smtp_url).unwrap();
    assert!(!format!("{mailer:?}").contains("s3cr3t"), "{mailer:?}");
}

#[test]
fn settings_debug_hides_the_smtp_password() {
    let mut s = settings("smtp", Path::new("var/mail"));
    for (url, shown) in [
        (
            "smtps://mailer:s3cr3t@mail.example.com:465",
            "smtps://…@mail.example.com:465",
        ),
        (
            "smtp://mailer:s3cr3t@mail.example.com:587/ehlo.example?tls=required",
            "smtp://…@mail.example.com:587",
        ),
        // an unescaped '@' or '/' in the password must not leak either
        (
            "smtps://mailer:s3@cr/3t@mail.example.com",
            "smtps://…@mail.example.com",
        ),
        ("smtp://localhost:25", "smtp://localhost:25"),
        ("mailer:s3cr3t@mail.example.com", "<redacted: not a URL>"),
        ("", ""),
    ] {
        s.smtp_url = url.to_owned();
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("s3@cr"),
            "{debug}"
        );
        assert!(!debug.contains("mailer"), "{debug}");
        assert!(debug.contains(&format!("smtp_url: {shown:?}")), "{debug}");
        assert!(debug.contains("no-reply@boxoffice.test"), "{debug}");
    }
}

#[test]
fn settings_deserialize_with_optional_dir_and_url() {
    let s: EmailSettings =
        serde_json::from_str(r#"{"transport":"log","from":"no-reply@boxoffice.test"}"#).unwrap();
    assert_eq!((s.dir.as_str(), s.smtp_url.as_str()), ("", ""));
    let s: EmailSettings = serde_json::from_str(
        r#"{"transport":"file","from":"a@b.test","dir":"var/mail","smtp_url":"smtp://h:25"}"#,
    )
    .unwrap();
    assert_eq!(
        (s.dir.as_str(), s.smtp_url.as_str()),
        ("var/mail", "smtp://h:25")
    );
}

#[test]
fn encoded_words_and_quoted_printable_decode() {
    use crate::read::{decode_quoted_printable, decode_words};
    assert_eq!(
        decode_words("=?utf-8?b?w5xi?= =?UTF-8?B?ZXI=?= x"),
        "Über x"
    );
    assert_eq!(
        decode_words("=?utf-8?q?caf=C3=A9_au_lait?= ok"),
        "café au lait ok"
    );
    assert_eq!(decode_words("a =? b ?= c"), "a =? b ?= c");
    assert_eq!(
        decode_quoted_printable(b"a=3Db=\r\nc=\nd =XY="),
        b"a=bcd =XY="
    );
}
