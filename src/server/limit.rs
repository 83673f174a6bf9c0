//! Rate limit on token guessing: a client address that presented
//! [`MAX_FAILURES`] unknown or missing tokens within [`WINDOW`] is
//! answered 429 Too Many Requests, with `Retry-After`, until the oldest of
//! them is older than the window — whatever token it presents meanwhile,
//! so that guessing goes no faster than that. Per instance, in memory:
//! each of two instances limits on its own.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins an address may make within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
/// How long a failed sign-in counts.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most; past it the ones with no recent failure
/// are forgotten first, then the map is cleared (a flood of addresses
/// must not grow the server without bound).
const MAX_ADDRESSES: usize = 10_000;

/// Recent failed sign-ins by client address.
#[derive(Debug, Default)]
pub struct Limiter {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Limiter {
    /// How long `addr` must wait before it may try again, if it must.
    pub fn wait(&self, addr: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let times = map.get_mut(&addr)?;
        forget_old(times, now);
        if times.len() < MAX_FAILURES {
            return None;
        }
        let oldest = *times.front()?;
        Some(
            WINDOW
                .saturating_sub(now - oldest)
                .max(Duration::from_secs(1)),
        )
    }

    /// Counts a failed sign-in from `addr`.
    pub fn failed(&self, addr: IpAddr) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&addr) {
            map.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
            if map.len() >= MAX_ADDRESSES {
                map.clear();
            }
        }
        let times = map.entry(addr).or_default();
        forget_old(times, now);
        times.push_back(now);
        // Only the last MAX_FAILURES matter.
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now - *t >= WINDOW) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_held_back_after_max_failures_and_others_are_not() {
        let limiter = Limiter::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..MAX_FAILURES - 1 {
            limiter.failed(a);
        }
        assert_eq!(limiter.wait(a), None);
        limiter.failed(a);
        let wait = limiter.wait(a).expect("held back");
        assert!(wait <= WINDOW && wait >= Duration::from_secs(1), "{wait:?}");
        assert_eq!(limiter.wait(b), None);
    }

    #[test]
    fn a_flood_of_addresses_does_not_grow_without_bound() {
        let limiter = Limiter::default();
        for i in 0..(MAX_ADDRESSES as u32 + 5) {
            limiter.failed(IpAddr::from(i.to_be_bytes()));
        }
        assert!(limiter.failures.lock().unwrap().len() <= MAX_ADDRESSES);
    }
}
