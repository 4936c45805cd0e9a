//! The embedded migrations apply, revert and apply again cleanly.

use boxoffice_infra_postgres::MIGRATIONS;
use boxoffice_testdb::TestDb;
use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;

use crate::helpers::database_url;

#[test]
fn migrations_go_up_down_and_up_again() {
    let db = TestDb::create(&database_url()).expect("test database");
    let mut conn = PgConnection::establish(db.url()).expect("connect");
    // The template is migrated: nothing is pending.
    assert!(conn
        .pending_migrations(MIGRATIONS)
        .expect("pending")
        .is_empty());
    let reverted = conn.revert_all_migrations(MIGRATIONS).expect("down").len();
    assert!(reverted > 0);
    let tables = |c: &mut PgConnection| -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(
            "SELECT count(*) AS n FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name IN \
             ('cities','venues','events','shows','seat_classes','seats','bookings','booking_items', \
              'categories','services')",
        )
        .get_result::<N>(c)
        .expect("count")
        .n
    };
    assert_eq!(tables(&mut conn), 0, "down.sql left tables behind");
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .expect("up again")
        .len();
    assert_eq!(applied, reverted);
    assert_eq!(tables(&mut conn), 10);
}
