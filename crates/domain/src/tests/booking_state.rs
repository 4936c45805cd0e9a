//! The booking state machine: every state × every action.

use crate::booking::{BookingAction, BookingStatus};
use crate::error::DomainError;

use BookingAction as A;
use BookingStatus as S;

const ACTIONS: [BookingAction; 8] = [
    A::Pay,
    A::Expire,
    A::Cancel,
    A::Complete,
    A::Revive,
    A::Submit,
    A::Accept,
    A::Decline,
];

/// The legal transitions, as the architecture document states them.
fn expected(from: BookingStatus, action: BookingAction) -> Option<BookingStatus> {
    match (from, action) {
        (S::Held, A::Pay) => Some(S::Confirmed),
        (S::Held, A::Expire) => Some(S::Expired),
        (S::Held, A::Cancel) => Some(S::Cancelled),
        (S::Confirmed, A::Cancel) => Some(S::Cancelled),
        (S::Confirmed, A::Complete) => Some(S::Completed),
        (S::Expired, A::Revive) => Some(S::Confirmed),
        // Appointments whose provider accepts each one first (issue 14).
        (S::Held, A::Submit) => Some(S::Pending),
        (S::Pending, A::Accept) => Some(S::Confirmed),
        (S::Pending, A::Decline) => Some(S::Cancelled),
        (S::Pending, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

#[test]
fn all_forty_eight_combinations_follow_the_table() {
    let mut legal = 0;
    let mut illegal = 0;
    for from in S::ALL {
        for action in ACTIONS {
            let got = from.apply(action);
            match expected(from, action) {
                Some(to) => {
                    legal += 1;
                    assert_eq!(got, Ok(to), "{from:?} --{action:?}-->");
                }
                None => {
                    illegal += 1;
                    assert_eq!(
                        got,
                        Err(DomainError::IllegalTransition {
                            from,
                            action: action.past_tense()
                        }),
                        "{from:?} --{action:?}--> must be illegal"
                    );
                }
            }
        }
    }
    assert_eq!((legal, illegal), (10, 38));
}

#[test]
fn held_transitions() {
    assert_eq!(S::Held.apply(A::Pay), Ok(S::Confirmed));
    assert_eq!(S::Held.apply(A::Expire), Ok(S::Expired));
    assert_eq!(S::Held.apply(A::Cancel), Ok(S::Cancelled));
    assert_eq!(
        S::Held.apply(A::Complete),
        Err(DomainError::IllegalTransition {
            from: S::Held,
            action: "completed"
        })
    );
}

#[test]
fn confirmed_transitions() {
    assert_eq!(S::Confirmed.apply(A::Cancel), Ok(S::Cancelled));
    assert_eq!(S::Confirmed.apply(A::Complete), Ok(S::Completed));
    assert_eq!(
        S::Confirmed.apply(A::Pay),
        Err(DomainError::IllegalTransition {
            from: S::Confirmed,
            action: "paid"
        })
    );
    assert_eq!(
        S::Confirmed.apply(A::Expire),
        Err(DomainError::IllegalTransition {
            from: S::Confirmed,
            action: "expired"
        })
    );
}

#[test]
fn terminal_states_refuse_everything() {
    for from in [S::Completed, S::Expired, S::Cancelled] {
        for action in ACTIONS {
            // A late payment may revive an expired booking (its seats or time still free).
            if (from, action) == (S::Expired, A::Revive) {
                continue;
            }
            match from.apply(action) {
                Err(DomainError::IllegalTransition { from: f, action: a }) => {
                    assert_eq!(f, from);
                    assert_eq!(a, action.past_tense());
                }
                other => panic!("{from:?} --{action:?}--> gave {other:?}"),
            }
        }
    }
}

#[test]
fn cancelling_twice_is_illegal() {
    let once = S::Confirmed.apply(A::Cancel).unwrap();
    let err = once.apply(A::Cancel).unwrap_err();
    assert_eq!(
        err,
        DomainError::IllegalTransition {
            from: S::Cancelled,
            action: "cancelled"
        }
    );
    assert_eq!(err.to_string(), "a cancelled booking cannot be cancelled");
}

#[test]
fn past_tense_names() {
    assert_eq!(A::Pay.past_tense(), "paid");
    assert_eq!(A::Expire.past_tense(), "expired");
    assert_eq!(A::Cancel.past_tense(), "cancelled");
    assert_eq!(A::Complete.past_tense(), "completed");
}

#[test]
fn only_held_and_confirmed_are_active() {
    assert!(S::Held.is_active());
    assert!(S::Confirmed.is_active());
    assert!(!S::Completed.is_active());
    assert!(!S::Expired.is_active());
    assert!(!S::Cancelled.is_active());
}

#[test]
fn status_names_round_trip() {
    let names: Vec<&str> = S::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "held",
            "pending",
            "confirmed",
            "completed",
            "expired",
            "cancelled"
        ]
    );
    for s in S::ALL {
        assert_eq!(S::parse(s.as_str()), Some(s));
        assert_eq!(s.to_string(), s.as_str());
    }
    assert_eq!(S::parse("HELD"), None);
    assert_eq!(S::parse(""), None);
    assert_eq!(S::parse("paid"), None);
}
