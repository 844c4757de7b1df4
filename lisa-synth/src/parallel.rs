//! Work over many inputs on every core: reading, synthesizing and writing are independent per
//! model, and a thousand models take a large part of a second on one core.

mod placement;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    on_every_core(
        items.len(),
        threads,
        || (),
        || {
            let mut done = Vec::new();
            while let Some((i, item)) = take(&next, items) {
                done.push((i, f(item)));
            }
            done
        },
    )
}

/// `first` over every item, then `second` over each item with its first result, on as many
/// threads as there are cores, results in item order. A thread takes the next first step while
/// any is left, then the next second step: no thread waits for the others between the two,
/// only for an item whose first step another thread is still taking. `warm_up` runs on one
/// helper before it takes part (on the calling thread when it works alone), for work that the
/// second steps share; a second step may start before it ends. A panic in any step is resumed
/// on the calling thread.
pub fn map_in_two_steps<T: Sync, A: Send + Sync, B: Send>(
    items: &[T],
    warm_up: impl FnOnce() + Send,
    first: impl Fn(&T) -> A + Sync,
    second: impl Fn(&T, &A) -> B + Sync,
) -> Vec<(A, B)> {
    let threads = cores().min(items.len());
    if threads < 2 {
        warm_up();
        return items
            .iter()
            .map(|item| {
                let a = first(item);
                let b = second(item, &a);
                (a, b)
            })
            .collect();
    }
    let firsts: Vec<OnceLock<A>> = std::iter::repeat_with(OnceLock::new)
        .take(items.len())
        .collect();
    let (next_first, next_second) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let abandoned = AtomicBool::new(false);
    let seconds = on_every_core(items.len(), threads, warm_up, || {
        // A thread that panics leaves its item's first step undone: the others stop waiting.
        let _flag = PanicFlag(&abandoned);
        while let Some((i, item)) = take(&next_first, items) {
            let _ = firsts[i].set(first(item));
        }
        let mut done = Vec::new();
        while let Some((i, item)) = take(&next_second, items) {
            let a = loop {
                if let Some(a) = firsts[i].get() {
                    break a;
                }
                assert!(
                    !abandoned.load(Ordering::Relaxed),
                    "a thread stopped with a panic"
                );
                std::thread::yield_now();
            };
            done.push((i, second(item, a)));
        }
        done
    });
    firsts
        .into_iter()
        .map(|a| a.into_inner().expect("every first step is taken"))
        .zip(seconds)
        .collect()
}

/// The next item no thread has taken yet, with its index.
fn take<'a, T>(next: &AtomicUsize, items: &'a [T]) -> Option<(usize, &'a T)> {
    let i = next.fetch_add(1, Ordering::Relaxed);
    items.get(i).map(|item| (i, item))
}

/// Sets its flag when the thread it lives on unwinds.
struct PanicFlag<'a>(&'a AtomicBool);

impl Drop for PanicFlag<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Runs `work` on the calling thread and `threads - 1` helpers (the first of which runs
/// `warm_up` first); each answers the results it made with their indexes, which are put in
/// order. Every index below `count` must be answered once.
fn on_every_core<R: Send, W: Fn() -> Vec<(usize, R)> + Sync>(
    count: usize,
    threads: usize,
    warm_up: impl FnOnce() + Send,
    work: W,
) -> Vec<R> {
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(count).collect();
    std::thread::scope(|scope| {
        let origin = placement::current_core();
        let work = &work;
        let mut warm_up = Some(warm_up);
        let helpers: Vec<_> = (1..threads)
            .map(|nth| {
                let warm_up = warm_up.take();
                start_helper(scope, origin, nth - 1, move || {
                    if let Some(warm_up) = warm_up {
                        warm_up();
                    }
                    work()
                })
            })
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

/// `f` on a thread of its own in `scope`, started on the `nth` core other than `origin`, so that
/// neither it nor the calling thread waits for the scheduler to move one of them
/// ([`placement`]).
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
    use super::{map, map_in_two_steps};
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
    fn two_steps_give_each_second_step_its_items_first_result_in_item_order() {
        for count in [0u32, 1, 2, 3, 1000] {
            let items: Vec<u32> = (0..count).collect();
            let firsts = Mutex::new(HashSet::new());
            let seconds = Mutex::new(HashSet::new());
            let warm_ups = AtomicUsize::new(0);
            let results = map_in_two_steps(
                &items,
                || {
                    warm_ups.fetch_add(1, Ordering::Relaxed);
                },
                |&i| {
                    assert!(firsts.lock().expect("not poisoned").insert(i));
                    i * 2
                },
                |&i, &doubled| {
                    assert!(seconds.lock().expect("not poisoned").insert(i));
                    assert_eq!(
                        doubled,
                        i * 2,
                        "the second step of {i} has its first result"
                    );
                    doubled + 1
                },
            );
            let expected: Vec<(u32, u32)> = items.iter().map(|i| (i * 2, i * 2 + 1)).collect();
            assert_eq!(results, expected, "{count} items");
            assert_eq!(firsts.lock().expect("not poisoned").len(), items.len());
            assert_eq!(seconds.lock().expect("not poisoned").len(), items.len());
            assert_eq!(warm_ups.load(Ordering::Relaxed), 1, "{count} items");
        }
    }

    #[test]
    fn a_panic_in_either_step_reaches_the_caller_instead_of_leaving_it_waiting() {
        let items: Vec<u32> = (0..64).collect();
        let first = std::panic::catch_unwind(|| {
            map_in_two_steps(&items, || (), |&i| assert_ne!(i, 40, "boom"), |_, ()| ())
        });
        assert!(first.is_err());
        let second = std::panic::catch_unwind(|| {
            map_in_two_steps(&items, || (), |_| (), |&i, ()| assert_ne!(i, 3, "boom"))
        });
        assert!(second.is_err());
    }

    #[test]
    fn a_panic_on_any_thread_reaches_the_caller() {
        let items: Vec<u32> = (0..64).collect();
        let outcome = std::panic::catch_unwind(|| map(&items, |&i| assert_ne!(i, 63, "boom")));
        assert!(outcome.is_err());
    }
}
