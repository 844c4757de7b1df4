//! Work over many inputs on every core: reading, synthesizing and writing are independent per
//! model, and a thousand models take a large part of a second on one core.

mod placement;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{Scope, ScopedJoinHandle};

/// `f` over every item, on as many threads as there are cores, results in item order. Each
/// thread takes the next item left, so a thread that is held up leaves its share to the others;
/// the calling thread is one of them, and each helper starts on a core of its own
/// ([`placement`]). A panic in `f` is resumed on the calling thread.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = cores().min(items.len());
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let origin = placement::current_core();
        let helpers: Vec<_> = (1..threads)
            .map(|nth| start_helper(scope, origin, nth - 1, work))
            .collect();
        placement::let_helpers_move();
        let mut place = |done: Vec<(usize, R)>| {
            for (i, result) in done {
                results[i] = Some(result);
            }
        };
        place(work());
        for helper in helpers {
            match helper.join() {
                Ok(done) => place(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results
        .into_iter()
        .map(|result| result.expect("every item is taken by exactly one thread"))
        .collect()
}

/// `f` on a thread of its own in `scope`, started on another core than the calling thread's, so
/// that neither waits for the other to be moved ([`placement`]).
pub fn spawn<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> ScopedJoinHandle<'scope, T> {
    let helper = start_helper(scope, placement::current_core(), 0, f);
    placement::let_helpers_move();
    helper
}

fn start_helper<'scope, T: Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    origin: Option<usize>,
    nth: usize,
    f: impl FnOnce() -> T + Send + 'scope,
) -> ScopedJoinHandle<'scope, T> {
    scope.spawn(move || {
        placement::leave(origin, nth);
        f()
    })
}

/// The number of cores this process may use, looked up once (it reads the cgroup's limits).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
}

#[cfg(test)]
mod tests {
    use super::map;
    use std::collections::HashSet;
    use std::sync::Mutex;

    #[test]
    fn results_come_in_item_order_and_each_item_is_done_once() {
        let items: Vec<u32> = (0..1000).collect();
        let seen = Mutex::new(HashSet::new());
        let doubled = map(&items, |&i| {
            assert!(
                seen.lock().expect("not poisoned").insert(i),
                "{i} done twice"
            );
            i * 2
        });
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(seen.lock().expect("not poisoned").len(), items.len());
    }

    #[test]
    fn no_item_and_one_item() {
        assert_eq!(map(&[] as &[u8], |&b| b), Vec::<u8>::new());
        assert_eq!(map(&[7u8], |&b| b + 1), vec![8]);
    }

    #[test]
    fn a_panic_on_any_thread_reaches_the_caller() {
        let items: Vec<u32> = (0..64).collect();
        let outcome = std::panic::catch_unwind(|| map(&items, |&i| assert_ne!(i, 63, "boom")));
        assert!(outcome.is_err());
    }
}
