//! Where a helper thread starts. Some schedulers (seen on 2-vCPU virtual machines that pack work
//! onto as few vCPUs as they can) queue a new thread on its parent's core, so that one of the
//! two waits for the other until a later scheduler tick moves it: up to 4 ms, as long as a whole
//! 100-model synthesis. So a helper's first act is to move to another core allowed to the
//! process, after which the scheduler gets its whole choice back; and the thread that started
//! helpers yields once, so that a helper queued behind it can make that move at once. Where the
//! scheduler spreads new threads by itself, the move is to where the helper already is.

/// The core the calling thread runs on (`None` where that cannot be known).
pub fn current_core() -> Option<usize> {
    #[cfg(target_os = "linux")]
    return nix::sched::sched_getcpu().ok();
    #[cfg(not(target_os = "linux"))]
    None
}

/// Moves the calling thread off `origin` (the core of the thread that started it), to the
/// `nth` other core allowed (counting from 0, round the allowed cores), then allows it every core
/// it was allowed before. Answers the core it moved to; `None` when it did not move (one core
/// allowed, or a platform without affinity).
pub fn leave(origin: Option<usize>, nth: usize) -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
        use nix::unistd::Pid;
        let origin = origin?;
        let this_thread = Pid::from_raw(0);
        let allowed = sched_getaffinity(this_thread).ok()?;
        let others =
            || (0..CpuSet::count()).filter(|&c| c != origin && allowed.is_set(c).unwrap_or(false));
        let count = others().count();
        let target = others().nth(nth.checked_rem(count)?)?;
        let mut only = CpuSet::new();
        only.set(target).ok()?;
        sched_setaffinity(this_thread, &only).ok()?;
        // The kernel has moved the thread before the call returns; from here on it may go
        // wherever the scheduler sends it.
        let _ = sched_setaffinity(this_thread, &allowed);
        Some(target)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (origin, nth);
        None
    }
}

/// Gives a helper just started and queued behind the calling thread the chance to move away.
pub fn let_helpers_move() {
    std::thread::yield_now();
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::{current_core, leave};
    use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu};
    use nix::unistd::Pid;

    fn allowed() -> Vec<usize> {
        let set = sched_getaffinity(Pid::from_raw(0)).expect("the affinity of this thread");
        (0..CpuSet::count())
            .filter(|&c| set.is_set(c).unwrap_or(false))
            .collect()
    }

    #[test]
    fn a_helper_moves_off_its_parents_core_and_keeps_every_core_allowed() {
        let before = allowed();
        let origin = current_core();
        let (moved_to, ran_on, after) = std::thread::spawn(move || {
            let moved_to = leave(origin, 0);
            (
                moved_to,
                sched_getcpu().expect("the current core"),
                allowed(),
            )
        })
        .join()
        .expect("the helper ends");
        assert_eq!(after, before, "the helper is allowed every core again");
        if before.len() < 2 {
            assert_eq!(moved_to, None, "with one core there is nowhere to go");
            return;
        }
        let moved_to = moved_to.expect("with two cores or more the helper moves");
        assert_ne!(Some(moved_to), origin);
        assert!(before.contains(&moved_to));
        // Allowed every core again, it may be moved on at once, but not back by the move itself.
        assert!(before.contains(&ran_on));
    }

    #[test]
    fn helpers_take_the_other_cores_in_turn() {
        let cores = allowed();
        let origin = Some(cores[0]);
        let targets: Vec<Option<usize>> = (0..cores.len() * 2)
            .map(|nth| {
                std::thread::spawn(move || leave(origin, nth))
                    .join()
                    .expect("ends")
            })
            .collect();
        let others: Vec<usize> = cores[1..].to_vec();
        for (nth, target) in targets.iter().enumerate() {
            let expected = others.get(nth % others.len().max(1)).copied();
            assert_eq!(*target, expected, "helper {nth}");
        }
    }
}
