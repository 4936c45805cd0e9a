//! `CatalogService`: shows, events, imports and listing events.

use super::*;

#[test]
fn create_show_validates_before_calling_the_repository() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer()
            .withf(|id| *id == 1)
            .returning(|_| Ok(None));
        repo.expect_create_show().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            failing_fields(svc.create_show(&admin(), 1, general_show(0)).await),
            ["capacity"]
        );
        let mut backwards = general_show(5);
        backwards.ends_at = backwards.starts_at - Duration::hours(1);
        assert_eq!(
            failing_fields(svc.create_show(&admin(), 1, backwards).await),
            ["ends_at"]
        );
    })
}

#[test]
fn create_show_passes_a_valid_show() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_event_organizer()
            .withf(|id| *id == 1)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_create_show()
            .withf(|event_id, show| *event_id == 1 && *show == seated_show())
            .times(1)
            .returning(|_, _| Ok(show_detail(5)));
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            svc.create_show(&admin(), 1, seated_show())
                .await
                .unwrap()
                .show
                .id,
            9
        );
    })
}

#[test]
fn create_event_with_a_seated_layout_is_refused() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            failing_fields(
                svc.create_event(&admin(), new_event(), Some(seated_show()))
                    .await
            ),
            ["total_seats"]
        );
    })
}

#[test]
fn create_event_validates_its_general_show() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        assert_eq!(
            failing_fields(
                svc.create_event(&admin(), new_event(), Some(general_show(0)))
                    .await
            ),
            ["capacity"]
        );
    })
}

#[test]
fn create_event_with_and_without_a_show() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_create_event()
            .withf(|e, s| e.title == "Gig" && *s == Some(general_show(5)))
            .times(1)
            .returning(|_, _| {
                Ok(EventDetail {
                    event: event(),
                    shows: vec![show_detail(5)],
                })
            });
        repo.expect_create_event()
            .withf(|_, s| s.is_none())
            .times(1)
            .returning(|_, _| {
                Ok(EventDetail {
                    event: event(),
                    shows: vec![],
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let d = svc
            .create_event(&admin(), new_event(), Some(general_show(5)))
            .await
            .unwrap();
        assert_eq!((d.total_places(), d.available_places()), (5, 5));
        let d = svc.create_event(&admin(), new_event(), None).await.unwrap();
        assert_eq!(d.total_places(), 0);
    })
}

#[test]
fn import_seats_parses_the_csv_and_passes_the_rows() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_seats()
            .withf(|show_id, rows| {
                let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
                *show_id == 9 && labels == ["A1", "A2", "B1"] && rows[2].class == "B"
            })
            .times(1)
            .returning(|_, rows| {
                Ok(ImportSummary {
                    rows: rows.len() as u64,
                    created: rows.len() as u64,
                    ..Default::default()
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let csv = b"ID,Seat_Identifier,SEAT_CLASS\r\n1,A1,A\r\n2,A2,A\r\n3,B1,B";
        let summary = svc.import_seats(&admin(), 9, csv).await.unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                rows: 3,
                created: 3,
                updated: 0,
                unchanged: 0
            }
        );
    })
}

#[test]
fn import_seats_with_a_bad_file_does_not_call_the_repository() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_seats().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        let err = svc
            .import_seats(&admin(), 9, b"id,seat_identifier\n1,A1\n")
            .await
            .unwrap_err();
        assert!(
            matches!(err, DomainError::InvalidCsv { line: 1, .. }),
            "{err:?}"
        );
    })
}

#[test]
fn import_pricing_parses_the_csv_and_passes_the_rows() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_pricing()
            .withf(|show_id, rows| {
                *show_id == 9
                    && rows.len() == 1
                    && rows[0].class == "A"
                    && rows[0].prices
                        == TierPrices {
                            min_price: Some(29_763),
                            normal_price: None,
                            max_price: Some(40_000),
                        }
            })
            .times(1)
            .returning(|_, _| {
                Ok(ImportSummary {
                    rows: 1,
                    updated: 1,
                    ..Default::default()
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let csv = b"id,seat_class,min_price,normal_price,max_price\n1,A,$297.63,,400\n";
        assert_eq!(
            svc.import_pricing(&admin(), 9, csv).await.unwrap().updated,
            1
        );
    })
}

#[test]
fn import_pricing_with_a_bad_price_does_not_call_the_repository() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_show_organizer()
            .withf(|id| *id == 9)
            .times(1)
            .returning(|_| Ok(None));
        repo.expect_import_pricing().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        let err = svc
            .import_pricing(
                &admin(),
                9,
                b"id,seat_class,min_price,normal_price,max_price\n1,A,x,,\n",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, DomainError::InvalidCsv { line: 2, column: Some(c), .. } if c == "min_price"),
            "{err:?}"
        );
    })
}

#[test]
fn list_events_refuses_to_before_from() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        repo.expect_list_events().times(0);
        let svc = CatalogService::new(Arc::new(repo));
        let filter = EventFilter {
            from: Some(t0()),
            to: Some(t0() - Duration::seconds(1)),
            ..Default::default()
        };
        assert_eq!(
            failing_fields(svc.list_events(filter, Page::default()).await),
            ["to"]
        );
    })
}

#[test]
fn list_events_passes_a_valid_filter() {
    block_on(async {
        let mut repo = MockCatalogRepository::new();
        let organiser = uuid::Uuid::new_v4();
        let filter = EventFilter {
            city_id: Some(3),
            event_type: Some(EventType::Movie),
            from: Some(t0()),
            to: Some(t0()),
            text: Some("  jazz ".to_owned()),
            organizer_id: Some(organiser),
        };
        // The storage gets the search trimmed.
        let expected = EventFilter {
            text: Some("jazz".to_owned()),
            ..filter.clone()
        };
        repo.expect_list_events()
            .withf(move |f, p| *f == expected && *p == Page::default())
            .times(1)
            .returning(|_, page| {
                Ok(Paged {
                    items: vec![event()],
                    total: 1,
                    page,
                })
            });
        let svc = CatalogService::new(Arc::new(repo));
        let res = svc.list_events(filter, Page::default()).await.unwrap();
        assert_eq!(res.total, 1);
        assert_eq!(res.items[0].id, 1);
    })
}
