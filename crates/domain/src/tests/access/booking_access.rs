//! `may_access_booking`: owners, admins and guest-token holders.

use super::*;

const GUEST: &str = "guest-token-abcdefghijklmnopqrstuvwxyz012345";

#[test]
fn the_owner_may_access_their_booking() {
    let owner = actor(Role::Customer);
    assert!(may_access_booking(&owner, owner.user_id(), None, None));
}

#[test]
fn another_user_may_not() {
    let owner = user(Role::Customer);
    for stranger in [actor(Role::Customer), actor(Role::Provider)] {
        assert!(!may_access_booking(&stranger, Some(owner.id), None, None));
    }
}

#[test]
fn an_admin_may_access_any_booking() {
    let owner = user(Role::Customer);
    assert!(may_access_booking(&admin(), Some(owner.id), None, None));
    let hash = TokenHash::of(GUEST);
    assert!(may_access_booking(&admin(), None, Some(&hash), None));
}

#[test]
fn a_guest_with_the_right_token_may_access() {
    let hash = TokenHash::of(GUEST);
    assert!(may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        Some(GUEST)
    ));
}

#[test]
fn a_guest_with_a_wrong_token_may_not() {
    let hash = TokenHash::of(GUEST);
    assert!(!may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        Some("guest-token-wrong")
    ));
    assert!(!may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        Some("")
    ));
}

#[test]
fn a_guest_without_a_token_may_not() {
    let hash = TokenHash::of(GUEST);
    assert!(!may_access_booking(
        &Actor::Anonymous,
        None,
        Some(&hash),
        None
    ));
    // A user's booking (no guest hash) is never reachable with a token.
    let owner = user(Role::Customer);
    assert!(!may_access_booking(
        &Actor::Anonymous,
        Some(owner.id),
        None,
        Some(GUEST)
    ));
}

#[test]
fn a_signed_in_user_presenting_the_right_guest_token_may_access() {
    let hash = TokenHash::of(GUEST);
    let someone = actor(Role::Customer);
    assert!(may_access_booking(&someone, None, Some(&hash), Some(GUEST)));
    assert!(!may_access_booking(
        &someone,
        None,
        Some(&hash),
        Some("nope")
    ));
}
