//! `IdempotencyScope::guest_token`.

use super::*;

#[test]
fn a_guest_token_scope_is_stable_and_names_only_the_hash() {
    let a = IdempotencyScope::guest_token(&TokenHash::of(GUEST_TOKEN));
    let again = IdempotencyScope::guest_token(&TokenHash::of(GUEST_TOKEN));
    assert_eq!(a, again);
    let hex: String = TokenHash::of(GUEST_TOKEN)
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(a.as_str(), format!("guest:{hex}"));
    assert_eq!(a.as_str().len(), "guest:".len() + 64);
    assert!(!a.as_str().contains(GUEST_TOKEN));
}

#[test]
fn guest_token_scopes_differ_per_token_and_from_user_scopes() {
    let a = IdempotencyScope::guest_token(&TokenHash::of(GUEST_TOKEN));
    let b = IdempotencyScope::guest_token(&TokenHash::of("another-guest-token"));
    assert_ne!(a, b);
    let id = Uuid::new_v4();
    assert_ne!(a, IdempotencyScope::user(id));
    assert_ne!(a, IdempotencyScope::guest_booking(id));
    assert_ne!(a, IdempotencyScope::user(Uuid::nil()));
    let customer = actor(Role::Customer);
    assert_ne!(Some(a), IdempotencyScope::for_actor(&customer));
}
