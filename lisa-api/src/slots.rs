//! The server's connection places, shared fairly between its clients.
//!
//! A single global cap lets one client take every place: enough keep-alive connections looping
//! on a cheap request hold them all, and everyone else, the admins included, is refused. Two
//! rules, both found in production proxies, keep the others served:
//!
//! - A client (an IPv4 address, or an IPv6 /64, see [`ClientKey`]) holds at most its share of
//!   the places ([`crate::ServeOptions::max_connections_per_client`]); its next connection is
//!   answered 429 at once, before any request of it is read. Taking the cap from one client
//!   then takes `max_connections / share` addresses, not one.
//! - At the cap, a new connection takes the place of an idle one (no request under way: a
//!   keep-alive connection between requests, or one whose request head has not all arrived,
//!   slowloris included), from the client holding the most places, the longest idle first; it
//!   gets hyper's graceful close (an idle connection is closed at once; a request that raced
//!   in is answered) within [`RECLAIM_GRACE`]. Only when every place serves a request is a
//!   connection answered 503.
//!
//! The place of a reclaimed connection goes to the new connection at once, so for at most
//! [`RECLAIM_GRACE`] the two may both be open; the count of open connections ([`Slots::closed`])
//! includes them, so a shutdown still waits for them.

use crate::limits::ClientKey;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long a reclaimed connection may take to close (to answer a request that raced in).
pub(crate) const RECLAIM_GRACE: Duration = Duration::from_secs(1);

/// `idle_since` of a connection serving a request.
const BUSY: u64 = u64::MAX;

/// Why a connection gets no place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Its client holds its share already.
    Share {
        /// The client.
        client: ClientKey,
        /// Its share, in connections.
        share: usize,
        /// The server's cap.
        cap: usize,
    },
    /// Every place serves a request.
    Full,
}

/// What one connection shares with the table: whether it serves a request, and the signal
/// that its place was taken.
#[derive(Debug)]
struct Activity {
    /// [`BUSY`], or when the connection last became idle on [`Slots::clock`]; the smaller, the
    /// longer idle.
    idle_since: AtomicU64,
    reclaimed: Notify,
}

#[derive(Debug)]
struct Held {
    client: ClientKey,
    activity: Arc<Activity>,
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    held: HashMap<u64, Held>,
    per_client: HashMap<ClientKey, usize>,
}

impl Table {
    fn release(&mut self, id: u64) -> Option<Held> {
        let held = self.held.remove(&id)?;
        if let Some(count) = self.per_client.get_mut(&held.client) {
            *count -= 1;
            if *count == 0 {
                self.per_client.remove(&held.client);
            }
        }
        Some(held)
    }

    /// The idle connection to close for a new one: of the client holding the most places, the
    /// longest idle.
    fn victim(&self) -> Option<u64> {
        self.held
            .iter()
            .filter_map(|(id, held)| {
                let since = held.activity.idle_since.load(Ordering::Acquire);
                (since != BUSY).then(|| {
                    let holding = self.per_client.get(&held.client).copied().unwrap_or(0);
                    (holding, std::cmp::Reverse(since), *id)
                })
            })
            .max()
            .map(|(_, _, id)| id)
    }
}

/// The places of one server.
#[derive(Debug)]
pub(crate) struct Slots {
    cap: usize,
    share: usize,
    table: Mutex<Table>,
    /// Orders the moments connections become idle.
    clock: AtomicU64,
    /// Connections open, reclaimed ones still closing included.
    open: watch::Sender<usize>,
}

impl Slots {
    /// `cap` places, at most `share` of them for one client.
    pub(crate) fn new(cap: usize, share: usize) -> Arc<Slots> {
        Arc::new(Slots {
            cap,
            share,
            table: Mutex::new(Table::default()),
            clock: AtomicU64::new(0),
            open: watch::Sender::new(0),
        })
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// A place for a connection from `peer`, or why there is none. Taking the place of an idle
    /// connection signals it to close.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Refusal> {
        let client = ClientKey::of(peer);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.per_client.get(&client).copied().unwrap_or(0) >= self.share {
            return Err(Refusal::Share {
                client,
                share: self.share,
                cap: self.cap,
            });
        }
        if table.held.len() >= self.cap {
            let victim = table.victim().ok_or(Refusal::Full)?;
            if let Some(held) = table.release(victim) {
                held.activity.reclaimed.notify_one();
            }
        }
        let id = table.next_id;
        table.next_id += 1;
        let activity = Arc::new(Activity {
            idle_since: AtomicU64::new(self.tick()),
            reclaimed: Notify::new(),
        });
        table.held.insert(
            id,
            Held {
                client,
                activity: Arc::clone(&activity),
            },
        );
        *table.per_client.entry(client).or_default() += 1;
        drop(table);
        self.open.send_modify(|open| *open += 1);
        Ok(Slot {
            slots: Arc::clone(self),
            id,
            activity,
        })
    }

    /// Completes when every connection has closed.
    pub(crate) async fn closed(&self) {
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|open| *open == 0).await;
    }
}

/// A connection's place; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
    id: u64,
    activity: Arc<Activity>,
}

impl Slot {
    /// What marks the connection busy while it serves a request.
    pub(crate) fn tracker(&self) -> Tracker {
        Tracker {
            slots: Arc::clone(&self.slots),
            activity: Arc::clone(&self.activity),
        }
    }

    /// Completes when a new connection has taken this one's place.
    pub(crate) async fn reclaimed(&self) {
        self.activity.reclaimed.notified().await;
    }
}

/// Marks a connection busy ([`Tracker::serving`]) while it serves a request.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    slots: Arc<Slots>,
    activity: Arc<Activity>,
}

impl Tracker {
    /// The connection serves a request until the guard drops.
    pub(crate) fn serving(&self) -> Serving {
        self.activity.idle_since.store(BUSY, Ordering::Release);
        Serving(self.clone())
    }
}

/// A request under way on a connection; its drop makes the connection idle.
#[derive(Debug)]
pub(crate) struct Serving(Tracker);

impl Drop for Serving {
    fn drop(&mut self) {
        let now = self.0.slots.tick();
        self.0.activity.idle_since.store(now, Ordering::Release);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .release(self.id);
        self.slots.open.send_modify(|open| *open -= 1);
    }
}
