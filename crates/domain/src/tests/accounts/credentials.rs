//! The credential value objects: `Password`, `SignupRequest`, `Role`, `UserPatch`, `TokenHash`.

use super::*;

#[test]
fn password_limits_are_eight_to_128_characters() {
    assert_eq!(
        (PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MAX_BYTES),
        (8, 128, 72)
    );
}

#[test]
fn password_of_seven_characters_is_rejected() {
    assert_eq!(failing_fields(Password::parse("abcdefg")), ["password"]);
}

#[test]
fn password_of_eight_characters_is_accepted() {
    assert_eq!(Password::parse("abcdefgh").unwrap().expose(), "abcdefgh");
}

#[test]
fn password_of_128_characters_is_accepted_whatever_its_bytes() {
    let p = "🎟".repeat(128);
    assert_eq!(p.len(), 512);
    assert_eq!(Password::parse(&p).unwrap().expose(), p);
}

#[test]
fn password_of_129_characters_is_rejected_with_the_reason() {
    let p = "x".repeat(129);
    let Err(DomainError::Validation(errors)) = Password::parse(&p) else {
        panic!("129 characters accepted");
    };
    assert_eq!(errors[0].field, "password");
    assert!(
        errors[0].message.contains("at most 128 characters"),
        "{}",
        errors[0].message
    );
    assert_eq!(
        failing_fields(Password::parse_field(&p, "new_password")),
        ["new_password"]
    );
}

#[test]
fn password_length_counts_characters_not_bytes() {
    // 8 characters, 16 bytes.
    let eight = "é".repeat(8);
    assert_eq!(eight.len(), 16);
    assert!(Password::parse(&eight).is_ok());
    // 7 characters, 14 bytes: too short although it has more than 8 bytes.
    assert_eq!(
        failing_fields(Password::parse(&"é".repeat(7))),
        ["password"]
    );
}

#[test]
fn password_of_only_spaces_is_rejected() {
    assert_eq!(
        failing_fields(Password::parse(&" ".repeat(10))),
        ["password"]
    );
    assert_eq!(failing_fields(Password::parse(" \t  \n   ")), ["password"]);
}

#[test]
fn password_with_inner_and_surrounding_spaces_is_kept_verbatim() {
    let p = Password::parse("  a b c d  ").unwrap();
    assert_eq!(p.expose(), "  a b c d  ");
}

#[test]
fn password_parse_field_names_the_given_field() {
    assert_eq!(
        failing_fields(Password::parse_field("short", "new_password")),
        ["new_password"]
    );
    assert!(Password::parse_field("long enough", "new_password").is_ok());
}

#[test]
fn debug_of_password_never_shows_it() {
    let p = Password::parse("hunter2-hunter2").unwrap();
    let shown = format!("{p:?} {p:#?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("Password"), "{shown}");
}

#[test]
fn debug_of_secret_token_never_shows_it() {
    let t = SecretToken::new("s3cr3t-t0ken-value".into());
    let shown = format!("{t:?} {t:#?} {:?}", Some(t.clone()));
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert_eq!(t.expose(), "s3cr3t-t0ken-value");
}

// --- SignupRequest ------------------------------------------------------------------------------

#[test]
fn signup_defaults_to_customer() {
    for role in [None, Some(""), Some("  ")] {
        let (account, password) = signup(" Ada@Example.COM ", "correct horse", role)
            .parse()
            .unwrap();
        assert_eq!(account.role, Role::Customer, "{role:?}");
        assert_eq!(account.email.as_str(), "ada@example.com");
        assert_eq!(password.expose(), "correct horse");
    }
}

#[test]
fn signup_as_provider_is_allowed() {
    let (account, _) = signup("p@example.com", "correct horse", Some(" Provider "))
        .parse()
        .unwrap();
    assert_eq!(account.role, Role::Provider);
}

#[test]
fn signup_as_admin_is_refused_on_role() {
    for role in ["admin", "ADMIN", " Admin "] {
        assert_eq!(
            failing_fields(signup("a@example.com", "correct horse", Some(role)).parse()),
            ["role"],
            "{role}"
        );
    }
}

#[test]
fn signup_with_an_unknown_role_is_refused_on_role() {
    assert_eq!(
        failing_fields(signup("a@example.com", "correct horse", Some("root")).parse()),
        ["role"]
    );
}

#[test]
fn signup_with_a_bad_email_is_refused_on_email() {
    for email in ["", "nope", "a@b", "a b@example.com"] {
        assert_eq!(
            failing_fields(signup(email, "correct horse", None).parse()),
            ["email"],
            "{email}"
        );
    }
}

#[test]
fn signup_reports_all_violations_together() {
    let mut req = signup("nope", "short", Some("admin"));
    req.profile.phone = Some("12".into());
    let fs = failing_fields(req.parse());
    assert_eq!(fs, ["email", "password", "role", "phone"]);
}

#[test]
fn signup_with_a_blank_phone_has_no_phone() {
    let mut req = signup("a@example.com", "correct horse", None);
    req.profile.phone = Some("   ".into());
    let (account, _) = req.parse().unwrap();
    assert_eq!(account.phone, None);
}

#[test]
fn signup_normalises_the_profile() {
    let req = SignupRequest {
        profile: ProfileInput {
            phone: Some("+1 (555) 010-9999".into()),
            first_name: Some("  Ada ".into()),
            last_name: None,
            address: Some("".into()),
        },
        ..signup("a@example.com", "correct horse", None)
    };
    let (account, _) = req.parse().unwrap();
    assert_eq!(
        account.phone.as_ref().map(|p| p.as_str()),
        Some("+15550109999")
    );
    assert_eq!(account.first_name, "Ada");
    assert_eq!(account.last_name, "");
    assert_eq!(account.address, "");
}

// --- Role, UserPatch ----------------------------------------------------------------------------

#[test]
fn role_parse_accepts_the_three_roles_in_any_case() {
    assert_eq!(Role::parse("customer").unwrap(), Role::Customer);
    assert_eq!(Role::parse(" PROVIDER ").unwrap(), Role::Provider);
    assert_eq!(Role::parse("Admin").unwrap(), Role::Admin);
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        assert_eq!(r.to_string(), r.as_str());
    }
}

#[test]
fn role_parse_rejects_anything_else_on_role() {
    for bad in ["", "root", "admins", "provider,admin"] {
        assert_eq!(failing_fields(Role::parse(bad)), ["role"], "{bad}");
    }
}

#[test]
fn user_patch_parse_keeps_what_is_given() {
    let profile = ProfileInput {
        phone: Some("".into()),
        first_name: Some(" Grace ".into()),
        last_name: None,
        address: Some("".into()),
    };
    let patch = UserPatch::parse(&profile, Some("provider"), Some(false)).unwrap();
    assert_eq!(
        patch,
        UserPatch {
            phone: Some(None),
            first_name: Some("Grace".into()),
            last_name: None,
            address: Some(String::new()),
            role: Some(Role::Provider),
            active: Some(false),
        }
    );
}

#[test]
fn user_patch_parse_with_a_bad_role_names_role() {
    assert_eq!(
        failing_fields(UserPatch::parse(
            &ProfileInput::default(),
            Some("wizard"),
            None
        )),
        ["role"]
    );
}

#[test]
fn user_patch_parse_reports_profile_and_role_together() {
    let profile = ProfileInput {
        phone: Some("abc".into()),
        ..Default::default()
    };
    assert_eq!(
        failing_fields(UserPatch::parse(&profile, Some("wizard"), None)),
        ["phone", "role"]
    );
}

#[test]
fn touches_privileges_only_for_role_or_active() {
    let profile_only = UserPatch {
        first_name: Some("Ada".into()),
        phone: Some(None),
        ..Default::default()
    };
    assert!(!profile_only.touches_privileges());
    assert!(!UserPatch::default().touches_privileges());
    let role = UserPatch {
        role: Some(Role::Customer),
        ..Default::default()
    };
    assert!(role.touches_privileges());
    let active = UserPatch {
        active: Some(true),
        ..Default::default()
    };
    assert!(active.touches_privileges());
}

#[test]
fn display_name_is_the_full_name_else_the_email_local_part() {
    let mut u = user(Role::Customer);
    u.email = "ada.l@example.com".into();
    assert_eq!(u.display_name(), "ada.l");
    u.first_name = " Ada ".into();
    assert_eq!(u.display_name(), "Ada");
    u.last_name = "Lovelace".into();
    assert_eq!(u.display_name(), "Ada Lovelace");
    u.first_name = String::new();
    assert_eq!(u.display_name(), "Lovelace");
}

// --- TokenHash ----------------------------------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn token_hash_is_sha256() {
    assert_eq!(
        hex(TokenHash::of("abc").as_bytes()),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(TokenHash::of("").as_bytes()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(SecretToken::new("abc".into()).hash(), TokenHash::of("abc"));
}

#[test]
fn token_hash_matches_only_the_same_token() {
    let h = TokenHash::of("abc");
    assert!(h.matches(&TokenHash::of("abc")));
    assert!(!h.matches(&TokenHash::of("abd")));
    assert!(!h.matches(&TokenHash::of("ABC")));
    // Differing only in the last byte.
    let mut last = h;
    last.0[31] ^= 1;
    assert!(!h.matches(&last));
}

#[test]
fn token_hash_from_slice_needs_32_bytes() {
    let h = TokenHash::of("abc");
    assert_eq!(TokenHash::from_slice(h.as_bytes()), Some(h));
    assert_eq!(TokenHash::from_slice(&[0; 31]), None);
    assert_eq!(TokenHash::from_slice(&[0; 33]), None);
}

#[test]
fn auth_rules_default_to_30_days_and_one_hour() {
    let rules = AuthRules::default();
    assert_eq!(rules.refresh_ttl, Duration::days(30));
    assert_eq!(rules.reset_ttl, Duration::hours(1));
}
