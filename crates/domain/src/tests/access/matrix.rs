//! The authorisation matrix of `Actor`.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    /// 401 `authentication_required`.
    SignIn,
    /// 403 `forbidden`.
    Denied,
}
use Outcome::{Allowed, Denied, SignIn};

/// Classifies a check's result; an `Ok` must carry the caller's own user.
fn outcome(who: &Actor, result: Result<&User, DomainError>) -> Outcome {
    match result {
        Ok(u) => {
            assert_eq!(Some(u), who.user(), "Ok must return the caller");
            Allowed
        }
        Err(DomainError::Unauthorized {
            code: AuthCode::AuthenticationRequired,
            ..
        }) => SignIn,
        Err(DomainError::Forbidden {
            code: ForbiddenCode::Forbidden,
            ..
        }) => Denied,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn authorisation_matrix_of_actor() {
    let c = cast();
    let org = c.organiser.user_id().unwrap();
    let customer_id = c.customer.user_id().unwrap();
    // Columns: require_admin, require_organiser, require_event_manager(Some(org)),
    // require_event_manager(None), require_self_or_admin(customer's id),
    // require_self_or_admin(own id), require_user.
    let rows: [(&str, &Actor, [Outcome; 7]); 5] = [
        (
            "anonymous",
            &Actor::Anonymous,
            [SignIn, SignIn, SignIn, SignIn, SignIn, SignIn, SignIn],
        ),
        (
            "customer",
            &c.customer,
            [Denied, Denied, Denied, Denied, Allowed, Allowed, Allowed],
        ),
        (
            "organiser",
            &c.organiser,
            [Denied, Allowed, Allowed, Denied, Denied, Allowed, Allowed],
        ),
        (
            "other provider",
            &c.other_provider,
            [Denied, Allowed, Denied, Denied, Denied, Allowed, Allowed],
        ),
        (
            "admin",
            &c.admin,
            [
                Allowed, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed,
            ],
        ),
    ];
    for (name, who, expected) in rows {
        let own = who.user_id().unwrap_or_else(Uuid::new_v4);
        let got = [
            outcome(who, who.require_admin()),
            outcome(who, who.require_organiser()),
            outcome(who, who.require_event_manager(Some(org))),
            outcome(who, who.require_event_manager(None)),
            outcome(who, who.require_self_or_admin(customer_id)),
            outcome(who, who.require_self_or_admin(own)),
            outcome(who, who.require_user()),
        ];
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn a_customer_who_organised_an_event_before_a_demotion_cannot_manage_it() {
    // The rule is on the role as loaded now, not only on the organiser id.
    let demoted = actor(Role::Customer);
    let id = demoted.user_id();
    assert_eq!(outcome(&demoted, demoted.require_event_manager(id)), Denied);
}

#[test]
fn actor_accessors() {
    assert_eq!(Actor::Anonymous.user(), None);
    assert_eq!(Actor::Anonymous.user_id(), None);
    assert_eq!(Actor::Anonymous.role(), None);
    assert!(!Actor::Anonymous.is_admin());
    let u = user(Role::Provider);
    let a = Actor::User(u.clone());
    assert_eq!(a.user_id(), Some(u.id));
    assert_eq!(a.role(), Some(Role::Provider));
    assert!(!a.is_admin());
    assert!(admin().is_admin());
}
