//! The inputs of categories and services and their rules; the search filter and its match.

use super::*;
use crate::marketplace::availability::AvailabilityPatch;

#[test]
fn a_category_has_a_one_line_name_and_an_optional_description() {
    let c = NewCategory::parse(&CategoryInput {
        name: "  Hair  ".into(),
        description: Some("Cuts\nand colour ".into()),
        active: None,
    })
    .unwrap();
    assert_eq!(
        c,
        NewCategory {
            name: "Hair".into(),
            description: "Cuts\nand colour".into(),
            active: true
        }
    );
    let bad = NewCategory::parse(&CategoryInput {
        name: "a\nb".into(),
        description: Some("x".repeat(CATEGORY_DESCRIPTION_MAX_CHARS + 1)),
        active: Some(false),
    });
    assert_eq!(fields(bad), ["name", "description"]);
    for name in ["", "   ", &"n".repeat(CATEGORY_NAME_MAX_CHARS + 1)] {
        let r = NewCategory::parse(&CategoryInput {
            name: name.to_owned(),
            ..CategoryInput::default()
        });
        assert_eq!(fields(r), ["name"], "{name:?}");
    }
}

#[test]
fn a_category_patch_replaces_what_it_gives() {
    let current = Category {
        description: "old".into(),
        ..category(3, true)
    };
    let same = CategoryPatch::default().apply(&current).unwrap();
    assert_eq!(
        (same.name.as_str(), same.description.as_str(), same.active),
        ("category 3", "old", true)
    );
    let next = CategoryPatch {
        name: Some("Tutoring".into()),
        description: Some(String::new()),
        active: Some(false),
    }
    .apply(&current)
    .unwrap();
    assert_eq!(
        next,
        NewCategory {
            name: "Tutoring".into(),
            description: String::new(),
            active: false
        }
    );
    let bad = CategoryPatch {
        name: Some(" ".into()),
        ..CategoryPatch::default()
    };
    assert_eq!(fields(bad.apply(&current)), ["name"]);
}

#[test]
fn only_an_active_category_takes_services() {
    assert_eq!(check_category_open(&category(1, true)), Ok(()));
    assert_eq!(
        fields(check_category_open(&category(1, false))),
        ["category_id"]
    );
}

#[test]
fn a_new_service_takes_its_defaults() {
    let s = fields_of_input();
    assert_eq!(s.title, "Haircut");
    assert_eq!(s.description, "");
    assert_eq!(s.currency, eur());
    assert!(!s.requires_acceptance);
    assert_eq!(s.full_refund_hours_before, DEFAULT_FULL_REFUND_HOURS);
    assert_eq!(s.late_refund_percent, DEFAULT_LATE_REFUND_PERCENT);
    assert_eq!(s.reminder_minutes_before, None);
    assert!(s.image_urls.is_empty());
    assert!(s.active);
    assert_eq!(s.availability.duration_minutes, 60);
    // No currency: the server's.
    let usd = Currency::parse("USD").unwrap();
    let s = NewService::parse(
        &ServiceInput {
            currency: None,
            ..input()
        },
        usd,
    )
    .unwrap();
    assert_eq!(s.currency, usd);
}

#[test]
fn every_failing_field_of_a_new_service_is_named_at_once() {
    let mut bad = ServiceInput {
        title: " ".into(),
        description: Some("ok\u{0}".into()),
        category_id: 0,
        price: -1,
        currency: Some("EURO".into()),
        full_refund_hours_before: Some(i64::from(MAX_FULL_REFUND_HOURS) + 1),
        late_refund_percent: Some(101),
        reminder_minutes_before: Some(-1),
        image_urls: Some(vec!["ftp://x.example/a.png".into()]),
        ..input()
    };
    bad.availability.duration_minutes = 0;
    bad.availability.weekly[0].end = "08:00".into();
    assert_eq!(
        fields(NewService::parse(&bad, eur())),
        [
            "title",
            "description",
            "category_id",
            "price",
            "currency",
            "availability.weekly[0].end",
            "availability.duration_minutes",
            "full_refund_hours_before",
            "late_refund_percent",
            "reminder_minutes_before",
            "image_urls[0]"
        ]
    );
    let dear = ServiceInput {
        price: crate::limits::MAX_AMOUNT + 1,
        title: "t".repeat(SERVICE_TITLE_MAX_CHARS + 1),
        ..input()
    };
    assert_eq!(fields(NewService::parse(&dear, eur())), ["title", "price"]);
}

#[test]
fn the_cancellation_terms_and_the_reminder() {
    let s = NewService::parse(
        &ServiceInput {
            full_refund_hours_before: Some(0),
            late_refund_percent: Some(100),
            reminder_minutes_before: Some(i64::from(MAX_REMINDER_MINUTES)),
            requires_acceptance: Some(true),
            active: Some(false),
            ..input()
        },
        eur(),
    )
    .unwrap();
    assert_eq!(
        (s.full_refund_hours_before, s.late_refund_percent),
        (0, 100)
    );
    assert_eq!(s.reminder_minutes_before, Some(MAX_REMINDER_MINUTES));
    assert!(s.requires_acceptance && !s.active);
    // 0 is no reminder; past a week is refused.
    let none = NewService::parse(
        &ServiceInput {
            reminder_minutes_before: Some(0),
            ..input()
        },
        eur(),
    )
    .unwrap();
    assert_eq!(none.reminder_minutes_before, None);
    let far = ServiceInput {
        reminder_minutes_before: Some(i64::from(MAX_REMINDER_MINUTES) + 1),
        ..input()
    };
    assert_eq!(
        fields(NewService::parse(&far, eur())),
        ["reminder_minutes_before"]
    );
}

#[test]
fn image_urls_are_http_urls_with_a_host_and_no_credentials() {
    assert_eq!(
        parse_image_url(" https://img.example.com/a.jpg ").unwrap(),
        "https://img.example.com/a.jpg"
    );
    assert_eq!(
        parse_image_url("HTTP://Img.Example.com").unwrap(),
        "http://img.example.com/"
    );
    for bad in [
        "",
        "img.example.com/a.jpg",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://img.example.com/a.jpg",
        "https://user:pw@img.example.com/a.jpg",
        "http:/img.example.com/a.jpg",
        "https://img.example.com/a\u{7}.jpg",
        "https://",
        "https:///img.example.com/a.jpg",
        "https://?x",
        "http:// img.example.com",
    ] {
        assert!(parse_image_url(bad).is_err(), "{bad:?}");
    }
    let long = format!(
        "https://img.example.com/{}",
        "a".repeat(MAX_IMAGE_URL_CHARS)
    );
    assert!(parse_image_url(&long).is_err());
    let eleven: Vec<String> = (0..=MAX_IMAGE_URLS)
        .map(|n| format!("https://img.example.com/{n}.jpg"))
        .collect();
    let r = NewService::parse(
        &ServiceInput {
            image_urls: Some(eleven),
            ..input()
        },
        eur(),
    );
    assert_eq!(fields(r), ["image_urls"]);
    let twice = ServiceInput {
        image_urls: Some(vec![
            "https://img.example.com/a.jpg".into(),
            "https://IMG.example.com/a.jpg".into(),
        ]),
        ..input()
    };
    assert_eq!(fields(NewService::parse(&twice, eur())), ["image_urls[1]"]);
}

#[test]
fn a_service_patch_replaces_what_it_gives_and_checks_it() {
    let current = fields_of_input();
    assert_eq!(ServicePatch::default().apply(&current).unwrap(), current);
    let patch = ServicePatch {
        title: Some("Long haircut".into()),
        price: Some(4_000),
        currency: Some("usd".into()),
        category_id: Some(2),
        availability: AvailabilityPatch {
            duration_minutes: Some(90),
            ..AvailabilityPatch::default()
        },
        reminder_minutes_before: Some(60),
        image_urls: Some(vec!["https://img.example.com/b.jpg".into()]),
        active: Some(false),
        ..ServicePatch::default()
    };
    let next = patch.apply(&current).unwrap();
    assert_eq!(next.title, "Long haircut");
    assert_eq!((next.price, next.currency.as_str()), (4_000, "USD"));
    assert_eq!(next.category_id, 2);
    assert_eq!(next.availability.duration_minutes, 90);
    assert_eq!(next.availability.weekly, current.availability.weekly);
    assert_eq!(next.reminder_minutes_before, Some(60));
    assert_eq!(next.image_urls, ["https://img.example.com/b.jpg"]);
    assert!(!next.active);
    assert_eq!(next.description, current.description);
    // 0 removes the reminder; an empty list removes the pictures.
    let cleared = ServicePatch {
        reminder_minutes_before: Some(0),
        image_urls: Some(vec![]),
        ..ServicePatch::default()
    }
    .apply(&next)
    .unwrap();
    assert_eq!(cleared.reminder_minutes_before, None);
    assert!(cleared.image_urls.is_empty());
    let bad = ServicePatch {
        title: Some(String::new()),
        late_refund_percent: Some(-1),
        availability: AvailabilityPatch {
            capacity: Some(0),
            ..AvailabilityPatch::default()
        },
        ..ServicePatch::default()
    };
    assert_eq!(
        fields(bad.apply(&current)),
        ["title", "availability.capacity", "late_refund_percent"]
    );
}

#[test]
fn the_sort_names() {
    for s in ServiceSort::ALL {
        assert_eq!(ServiceSort::parse(s.as_str()).unwrap(), s);
    }
    assert_eq!(ServiceSort::default(), ServiceSort::Newest);
    assert_eq!(fields(ServiceSort::parse("cheapest")), ["sort"]);
    assert_eq!(fields(ServiceSort::parse("PRICE_ASC")), ["sort"]);
}

#[test]
fn the_search_filter_is_checked_and_its_text_trimmed() {
    let f = ServiceFilter {
        text: Some("  cut ".into()),
        min_price: Some(0),
        max_price: Some(0),
        ..ServiceFilter::default()
    }
    .validated()
    .unwrap();
    assert_eq!(f.text.as_deref(), Some("cut"));
    let blank = ServiceFilter {
        text: Some(" \t".into()),
        ..ServiceFilter::default()
    };
    assert_eq!(blank.validated().unwrap().text, None);
    let bad = ServiceFilter {
        text: Some("a\nb".into()),
        min_price: Some(-1),
        max_price: Some(crate::limits::MAX_AMOUNT + 1),
        ..ServiceFilter::default()
    };
    assert_eq!(fields(bad.validated()), ["q", "min_price", "max_price"]);
    let crossed = ServiceFilter {
        min_price: Some(500),
        max_price: Some(499),
        ..ServiceFilter::default()
    };
    assert_eq!(fields(crossed.validated()), ["max_price"]);
}

#[test]
fn a_search_lists_live_services_that_match_every_condition() {
    let provider = Uuid::new_v4();
    let mut s = service(1, provider);
    s.fields.description = "Wash and 100% dry".into();
    let all = ServiceFilter::default();
    assert!(service_listed(&s, &all));
    let matching = ServiceFilter {
        text: Some("HAIR".into()),
        category_id: Some(1),
        min_price: Some(2_500),
        max_price: Some(2_500),
        provider_id: Some(provider),
        ..all.clone()
    };
    assert!(service_listed(&s, &matching));
    for miss in [
        ServiceFilter {
            text: Some("beard".into()),
            ..all.clone()
        },
        ServiceFilter {
            category_id: Some(2),
            ..all.clone()
        },
        ServiceFilter {
            min_price: Some(2_501),
            ..all.clone()
        },
        ServiceFilter {
            max_price: Some(2_499),
            ..all.clone()
        },
        ServiceFilter {
            provider_id: Some(Uuid::new_v4()),
            ..all.clone()
        },
    ] {
        assert!(!service_listed(&s, &miss), "{miss:?}");
    }
    assert!(service_listed(
        &s,
        &ServiceFilter {
            text: Some("100%".into()),
            ..all.clone()
        }
    ));
    assert!(!service_listed(
        &s,
        &ServiceFilter {
            text: Some("1_0".into()),
            ..all.clone()
        }
    ));
    s.fields.active = false;
    assert!(!service_listed(&s, &all));
    let with_inactive = ServiceFilter {
        include_inactive: true,
        ..all.clone()
    };
    assert!(service_listed(&s, &with_inactive));
    s.deleted_at = Some(t0());
    assert!(!service_listed(&s, &with_inactive));
}
