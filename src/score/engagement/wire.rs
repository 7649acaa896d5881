//! Engagement's compiled rules read back from a compiled config
//! ([`crate::compiled::read`]).

use super::{Cap, EngagementRule, Inactivity, Touchpoint};
use crate::compiled::read::{Wire, WireRead};

impl WireRead for Touchpoint {
    fn read(w: &mut Wire<'_>) -> Self {
        Touchpoint {
            id: w.read(),
            pattern: w.read(),
            weight: w.read(),
            tags: w.read(),
            stage: w.read(),
        }
    }
}

impl WireRead for Cap {
    fn read(w: &mut Wire<'_>) -> Self {
        Cap {
            count: w.read(),
            window_ms: w.read(),
        }
    }
}

impl WireRead for EngagementRule {
    fn read(w: &mut Wire<'_>) -> Self {
        EngagementRule {
            id: w.read(),
            actions: w.read(),
            url: w.read(),
            tags: w.read(),
            min_dwell_seconds: w.read(),
            points: w.read(),
            half_life_days: w.read(),
            cap: w.read(),
            stage: w.read(),
            server_only: w.read(),
        }
    }
}

impl WireRead for Inactivity {
    fn read(w: &mut Wire<'_>) -> Self {
        Inactivity {
            after_days: w.read(),
            points: w.read(),
            repeat: w.read(),
            max_repeats: w.read(),
            ignore: w.read(),
        }
    }
}
