//! Reconnect delays (spec-notes §16): RECONNECT_IVL plus jitter when no
//! maximum is set; exponential growth without jitter up to RECONNECT_IVL_MAX
//! otherwise. A successful TCP connection starts again from the interval.

use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    ivl: Option<Duration>,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub(crate) fn new(ivl: Option<Duration>, max: Duration) -> Backoff {
        Backoff {
            ivl,
            max,
            current: ivl.unwrap_or_default(),
        }
    }

    /// The delay before the next attempt; `None` if reconnection is off.
    pub(crate) fn next_delay(&mut self) -> Option<Duration> {
        let ivl = self.ivl.filter(|d| !d.is_zero())?;
        if self.max.is_zero() {
            let ms = ivl.as_millis().max(1) as u64;
            return Some(ivl + Duration::from_millis(crate::random::u64() % ms));
        }
        let delay = self.current.min(self.max);
        self.current = (self.current * 2).min(self.max);
        Some(delay)
    }

    pub(crate) fn reset(&mut self) {
        self.current = self.ivl.unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_without_max_doubling_with_max() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(Some(ms(100)), Duration::ZERO);
        for _ in 0..20 {
            let d = b.next_delay().unwrap();
            assert!(d >= ms(100) && d < ms(200), "{d:?}");
        }
        let mut b = Backoff::new(Some(ms(100)), ms(500));
        let delays: Vec<_> = (0..5).map(|_| b.next_delay().unwrap()).collect();
        assert_eq!(delays, [ms(100), ms(200), ms(400), ms(500), ms(500)]);
        b.reset();
        assert_eq!(b.next_delay(), Some(ms(100)));
        assert_eq!(Backoff::new(None, ms(5)).next_delay(), None);
    }
}
