//! The demo data set (`boxoffice seed`, run by `make run`): idempotent — it does nothing when
//! the demo cities exist already.

use boxoffice_api::ApiState;
use boxoffice_domain::account::{Actor, ProfileInput, Role, SignupRequest};
use boxoffice_domain::catalog::{
    generate_seats, Layout, NewCity, NewEvent, NewSeatClass, NewShow, NewVenue, Page,
};
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::values::Currency;
use boxoffice_domain::DomainError;
use chrono::{Duration, Utc};

fn err(e: boxoffice_domain::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn prices(min: Option<i64>, normal: Option<i64>, max: Option<i64>) -> TierPrices {
    TierPrices {
        min_price: min,
        normal_price: normal,
        max_price: max,
    }
}

/// Demo accounts (local use only; documented in the README). The admin is skipped in the
/// production profile.
pub const DEMO_ADMIN: (&str, &str) = ("admin@boxoffice.local", "demo-admin-password");
pub const DEMO_PROVIDER: (&str, &str) = ("provider@boxoffice.local", "demo-provider-password");
pub const DEMO_CUSTOMER: (&str, &str) = ("customer@boxoffice.local", "demo-customer-password");

/// Creates a demo account unless one with that email exists (whatever its password now).
async fn demo_account(
    st: &ApiState,
    (email, password): (&str, &str),
    role: Option<Role>,
) -> anyhow::Result<()> {
    let created = match role {
        Some(Role::Admin) => st
            .accounts
            .create_admin(
                email,
                password,
                ProfileInput {
                    first_name: Some("Demo".into()),
                    last_name: Some("Admin".into()),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        other => st
            .accounts
            .signup(SignupRequest {
                email: email.to_owned(),
                password: password.to_owned(),
                role: other.map(|r| r.as_str().to_owned()),
                profile: ProfileInput {
                    first_name: Some("Demo".into()),
                    last_name: Some(
                        if other == Some(Role::Provider) {
                            "Provider"
                        } else {
                            "Customer"
                        }
                        .into(),
                    ),
                    ..Default::default()
                },
            })
            .await
            .map(|_| ()),
    };
    match created {
        Ok(()) | Err(DomainError::Conflict { .. }) => Ok(()),
        Err(e) => Err(err(e)),
    }
}

/// Loads the demo data unless it is there already; returns a one-line report.
pub async fn seed(st: &ApiState, demo_admin: bool) -> anyhow::Result<String> {
    // The demo accounts first, also for a database seeded before accounts existed.
    if demo_admin {
        demo_account(st, DEMO_ADMIN, Some(Role::Admin)).await?;
    }
    demo_account(st, DEMO_PROVIDER, Some(Role::Provider)).await?;
    demo_account(st, DEMO_CUSTOMER, None).await?;
    // The demo provider organises the demo events.
    let (email, password) = DEMO_PROVIDER;
    let provider = Actor::User(
        st.accounts
            .login(email, password)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "demo account {email} exists with another password or is deactivated: {e}"
                )
            })?
            .user,
    );
    let marketplace = crate::seed_marketplace::seed_marketplace(st, &provider).await?;
    let existing = st
        .catalog
        .list_cities(Page {
            limit: 500,
            offset: 0,
        })
        .await
        .map_err(err)?;
    if existing
        .items
        .iter()
        .any(|c| c.name == "Lisbon" && c.country == "Portugal")
    {
        return Ok(format!(
            "demo data already present: nothing to do ({marketplace})"
        ));
    }
    let op = crate::operator();
    let usd = Currency::parse("USD").map_err(|e| anyhow::anyhow!("{e}"))?;
    let eur = Currency::parse("EUR").map_err(|e| anyhow::anyhow!("{e}"))?;
    let lisbon = st
        .catalog
        .create_city(
            &op,
            NewCity::parse("Lisbon", "Portugal", 38.7223, -9.1393).map_err(err)?,
        )
        .await
        .map_err(err)?;
    let berlin = st
        .catalog
        .create_city(
            &op,
            NewCity::parse("Berlin", "Germany", 52.52, 13.405).map_err(err)?,
        )
        .await
        .map_err(err)?;
    st.catalog
        .create_city(
            &op,
            NewCity::parse("Porto", "Portugal", 41.1579, -8.6291).map_err(err)?,
        )
        .await
        .map_err(err)?;
    let cinema = st
        .catalog
        .create_venue(
            &op,
            NewVenue::parse_in(
                lisbon.id,
                "Cinema São Jorge",
                "Av. da Liberdade 175",
                38.7203,
                -9.1455,
                Some("Europe/Lisbon"),
            )
            .map_err(err)?,
        )
        .await
        .map_err(err)?;
    let arena = st
        .catalog
        .create_venue(
            &op,
            NewVenue::parse_in(
                berlin.id,
                "Columbiahalle",
                "Columbiadamm 13-21",
                52.4841,
                13.3926,
                Some("Europe/Berlin"),
            )
            .map_err(err)?,
        )
        .await
        .map_err(err)?;
    let club = st
        .catalog
        .create_venue(
            &op,
            NewVenue::parse_in(
                lisbon.id,
                "Comedy Club Lisboa",
                "Rua da Rosa 12",
                38.7131,
                -9.1446,
                Some("Europe/Lisbon"),
            )
            .map_err(err)?,
        )
        .await
        .map_err(err)?;
    let now = Utc::now();

    // A seated movie: five classes, 300 seats.
    let movie = st
        .catalog
        .create_event(
            &provider,
            NewEvent::parse(
                "The Long Night (2026)",
                "A seated movie screening with five seat classes whose prices rise as they fill.",
                "movie",
                lisbon.id,
                Some(cinema.id),
            )
            .map_err(err)?,
            None,
        )
        .await
        .map_err(err)?;
    let classes = [
        ("A", ["A", "B"], prices(Some(1200), Some(1500), Some(1800))),
        ("B", ["C", "D"], prices(Some(1000), Some(1200), Some(1500))),
        ("C", ["E", "F"], prices(Some(800), Some(1000), None)),
        ("D", ["G", "H"], prices(None, Some(900), Some(1100))),
        ("E", ["J", "K"], prices(Some(29763), Some(35000), None)),
    ];
    let mut seats = Vec::new();
    let mut new_classes = Vec::new();
    for (name, rows, p) in classes {
        let rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        seats.extend(generate_seats(name, &rows, 30).map_err(err)?);
        new_classes.push(NewSeatClass {
            name: name.to_owned(),
            prices: p,
        });
    }
    let start = (now + Duration::days(7)).date_naive().and_hms_opt(20, 0, 0);
    let start = start
        .map(|d| d.and_utc())
        .unwrap_or(now + Duration::days(7));
    st.catalog
        .create_show(
            &provider,
            movie.event.id,
            NewShow {
                venue_id: Some(cinema.id),
                screen_name: "Sala 1".to_owned(),
                starts_at: start,
                ends_at: start + Duration::minutes(140),
                currency: eur,
                layout: Layout::Seated {
                    classes: new_classes,
                    seats,
                },
            },
        )
        .await
        .map_err(err)?;

    // A general-admission concert.
    let concert_start = start + Duration::days(14);
    st.catalog
        .create_event(
            &provider,
            NewEvent::parse(
                "Nightwaves Live",
                "General-admission concert.",
                "concert",
                berlin.id,
                Some(arena.id),
            )
            .map_err(err)?,
            Some(NewShow {
                venue_id: Some(arena.id),
                screen_name: "Main hall".to_owned(),
                starts_at: concert_start,
                ends_at: concert_start + Duration::hours(3),
                currency: eur,
                layout: Layout::General {
                    capacity: 500,
                    price: Some(4500),
                },
            }),
        )
        .await
        .map_err(err)?;

    // A small standup show: 40 seats, one class with a normal price only.
    let standup = st
        .catalog
        .create_event(
            &provider,
            NewEvent::parse(
                "Open Mic Friday",
                "A small standup night.",
                "standup",
                lisbon.id,
                Some(club.id),
            )
            .map_err(err)?,
            None,
        )
        .await
        .map_err(err)?;
    let standup_start = start + Duration::days(2);
    let rows: Vec<String> = ["A", "B", "C", "D"].iter().map(|r| r.to_string()).collect();
    st.catalog
        .create_show(
            &provider,
            standup.event.id,
            NewShow {
                venue_id: Some(club.id),
                screen_name: "Back room".to_owned(),
                starts_at: standup_start,
                ends_at: standup_start + Duration::minutes(90),
                currency: usd,
                layout: Layout::Seated {
                    classes: vec![NewSeatClass {
                        name: "Standard".to_owned(),
                        prices: prices(None, Some(1500), None),
                    }],
                    seats: generate_seats("Standard", &rows, 10).map_err(err)?,
                },
            },
        )
        .await
        .map_err(err)?;
    Ok(format!("demo data loaded: demo accounts, 3 cities, 3 venues, a seated movie (300 seats), a general-admission concert (500), a standup show (40 seats); {marketplace}"))
}
