//! The marketplace's demo data (`boxoffice seed`, `make run`): two categories and three
//! services of the demo provider — a one-to-one haircut with a reminder, a guitar lesson the
//! provider accepts first, and a yoga class of 8.

use boxoffice_api::ApiState;
use boxoffice_domain::account::Actor;
use boxoffice_domain::catalog::Page;
use boxoffice_domain::marketplace::availability::{AvailabilityInput, WeeklyIntervalInput};
use boxoffice_domain::marketplace::catalog::{CategoryInput, ServiceInput};

fn week(days: &[&str], start: &str, end: &str) -> Vec<WeeklyIntervalInput> {
    days.iter()
        .map(|d| WeeklyIntervalInput {
            weekday: (*d).to_owned(),
            start: start.to_owned(),
            end: end.to_owned(),
        })
        .collect()
}

/// Seeds the categories `Hair` and `Lessons` and the demo provider's services, unless a
/// category `Hair` exists already. Returns what it did.
pub async fn seed_marketplace(st: &ApiState, provider: &Actor) -> anyhow::Result<&'static str> {
    let op = crate::operator();
    let err = |e: boxoffice_domain::DomainError| anyhow::anyhow!("{e}");
    let existing = st
        .marketplace
        .list_categories(
            &op,
            true,
            Page {
                limit: 500,
                offset: 0,
            },
        )
        .await
        .map_err(err)?;
    if existing.items.iter().any(|c| c.name == "Hair") {
        return Ok("marketplace demo data already present");
    }
    let category = |name: &str, description: &str| CategoryInput {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        active: None,
    };
    let hair = st
        .marketplace
        .create_category(&op, category("Hair", "Cuts, colour and styling"))
        .await
        .map_err(err)?;
    let lessons = st
        .marketplace
        .create_category(&op, category("Lessons", "Music, sport and languages"))
        .await
        .map_err(err)?;
    let services = [
        ServiceInput {
            title: "Haircut".into(),
            description: Some("Wash, cut and dry with Ana.".into()),
            category_id: hair.id,
            price: 2_500,
            currency: Some("EUR".into()),
            availability: AvailabilityInput {
                time_zone: "Europe/Lisbon".into(),
                weekly: week(
                    &["mon", "tue", "wed", "thu", "fri", "sat"],
                    "09:00",
                    "18:00",
                ),
                duration_minutes: 45,
                buffer_after_minutes: Some(15),
                min_notice_minutes: Some(60),
                ..AvailabilityInput::default()
            },
            reminder_minutes_before: Some(120),
            ..ServiceInput::default()
        },
        ServiceInput {
            title: "Guitar lesson".into(),
            description: Some("An hour of guitar, beginners welcome.".into()),
            category_id: lessons.id,
            price: 4_000,
            currency: Some("EUR".into()),
            availability: AvailabilityInput {
                time_zone: "Europe/Berlin".into(),
                weekly: week(&["mon", "tue", "wed", "thu", "fri"], "16:00", "20:00"),
                duration_minutes: 60,
                ..AvailabilityInput::default()
            },
            requires_acceptance: Some(true),
            full_refund_hours_before: Some(48),
            late_refund_percent: Some(0),
            ..ServiceInput::default()
        },
        ServiceInput {
            title: "Yoga class".into(),
            description: Some("Evening yoga, eight mats.".into()),
            category_id: lessons.id,
            price: 1_200,
            currency: Some("EUR".into()),
            availability: AvailabilityInput {
                time_zone: "Europe/Berlin".into(),
                weekly: week(&["tue", "thu"], "18:00", "19:00"),
                duration_minutes: 60,
                capacity: Some(8),
                ..AvailabilityInput::default()
            },
            ..ServiceInput::default()
        },
    ];
    for service in services {
        st.marketplace
            .create_service(provider, service)
            .await
            .map_err(err)?;
    }
    Ok("marketplace: 2 categories, 3 services (a haircut, a guitar lesson, a yoga class of 8)")
}
