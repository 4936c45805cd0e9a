//! Holds: expiry (lazy and by the sweep), seat changes of a hold, completion.
