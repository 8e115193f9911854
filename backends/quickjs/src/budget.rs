//! The step and wall-time budgets, enforced from QuickJS's interrupt handler.
//!
//! QuickJS calls the handler once per 10,000 steps (calls, jumps, branches), as MQuickJS does,
//! so `max_steps` counts handler calls with the reference's granularity. A run that exceeds a
//! budget is interrupted with an exception JavaScript cannot catch.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a run was interrupted, and after how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The step budget ran out.
    Steps(Duration),
    /// The wall-time budget ran out.
    WallTime(Duration),
}

#[derive(Debug)]
struct RunState {
    started: Instant,
    ticks: u64,
    stop: Option<Stop>,
    running: bool,
}

/// One instance's budgets and the state of its current run.
#[derive(Debug)]
pub struct Budget {
    max_steps: u64,
    max_wall: Option<Duration>,
    state: Mutex<RunState>,
}

impl Budget {
    /// Budgets of `max_steps` handler calls and, if given, `max_wall_time_us` per run.
    pub fn new(max_steps: u32, max_wall_time_us: Option<u32>) -> Budget {
        Budget {
            max_steps: u64::from(max_steps),
            max_wall: max_wall_time_us.map(|us| Duration::from_micros(u64::from(us))),
            state: Mutex::new(RunState {
                started: Instant::now(),
                ticks: 0,
                stop: None,
                running: false,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RunState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A run starts: its counters reset.
    pub fn start_run(&self) {
        let mut s = self.state();
        *s = RunState {
            started: Instant::now(),
            ticks: 0,
            stop: None,
            running: true,
        };
    }

    /// The run ended; why it was interrupted, if it was.
    pub fn end_run(&self) -> Option<Stop> {
        let mut s = self.state();
        s.running = false;
        s.stop
    }

    /// The interrupt handler: true interrupts the run.
    pub fn tick(&self) -> bool {
        let mut s = self.state();
        if !s.running {
            return false;
        }
        if s.stop.is_some() {
            return true;
        }
        s.ticks += 1;
        let elapsed = s.started.elapsed();
        if s.ticks > self.max_steps {
            s.stop = Some(Stop::Steps(elapsed));
        } else if self.max_wall.is_some_and(|w| elapsed > w) {
            s.stop = Some(Stop::WallTime(elapsed));
        }
        s.stop.is_some()
    }
}
