//! The left-right core of [`SharedMapleTree`](super::SharedMapleTree), and the only module of
//! the crate with `unsafe` code: two copies of a value, the index of the one readers may
//! enter, a registry of per-reader epoch counters and the writer's lock. It knows nothing of
//! trees or of the operation log (the safe half, `shared::mod`, keeps both copies equal).
//!
//! # Invariants
//!
//! * L1: at any time, one copy is the **front** (`front` holds its index) and the other the
//!   **back**. Only the holder of the writer lock ([`WriteLock`]) changes `front`, and only
//!   it ever takes a `&mut` to a copy, and only to the back.
//! * L2: a reader's epoch counter is odd while it is inside a read ([`Entered`] alive) and
//!   even otherwise; only that reader changes it, by one at each entry and exit.
//! * L3: a reader announces itself (epoch made odd, then a `SeqCst` fence) *before* it loads
//!   `front`, and reads only the copy it loaded, until its epoch is even again.
//! * L4: [`WriteLock::publish`] stores the new `front`, then (after a `SeqCst` fence) records
//!   every reader whose epoch is odd; the writer takes its next `&mut` to the new back (the
//!   old front) only after each recorded epoch has changed (that reader left).
//!
//! L3 and L4 together are the safety argument: the two `SeqCst` fences order the reader's
//! announcement and the writer's publication in one total order. If the writer's fence comes
//! first, the reader's load of `front` sees the new front and the reader never enters the
//! old one. If the reader's fence comes first, the writer sees its odd epoch, records it, and
//! waits for it. The reader's exit (and its next entry, which the writer may see instead) is
//! a `Release` store and the writer's check an `Acquire` load, so everything the reader read
//! happens before anything the writer then writes; and
//! `front` is stored with `Release` and loaded with `Acquire`, so a reader sees every write
//! made to the copy before it was published.
//!
//! Under `--cfg loom` every atomic, cell, mutex, `Arc` and `yield_now` here is loom's, so the
//! model tests (`maple/tests/loom_shared.rs`) check this protocol, including loom's detection
//! of unsynchronised cell accesses; otherwise they are std's.

use core::cell::Cell;
use core::ops::Deref;

#[cfg(loom)]
use loom::{
    cell::{ConstPtr, MutPtr, UnsafeCell},
    sync::atomic::{fence, AtomicUsize, Ordering},
    sync::{Arc, Mutex, MutexGuard},
    thread::yield_now,
};
#[cfg(not(loom))]
use std::{
    sync::atomic::{fence, AtomicUsize, Ordering},
    sync::{Arc, Mutex, MutexGuard},
    thread::yield_now,
};

/// std's stand-ins for loom's tracked cell and pointers (the same API, nothing tracked).
#[cfg(not(loom))]
mod untracked {
    /// A cell whose accesses go through [`ConstPtr`] and [`MutPtr`], as loom's does.
    pub(super) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    /// A shared pointer into an [`UnsafeCell`].
    pub(super) struct ConstPtr<T>(*const T);

    /// A unique pointer into an [`UnsafeCell`].
    pub(super) struct MutPtr<T>(*mut T);

    impl<T> UnsafeCell<T> {
        pub(super) fn new(value: T) -> Self {
            UnsafeCell(core::cell::UnsafeCell::new(value))
        }

        pub(super) fn get(&self) -> ConstPtr<T> {
            ConstPtr(self.0.get())
        }

        pub(super) fn get_mut(&self) -> MutPtr<T> {
            MutPtr(self.0.get())
        }
    }

    impl<T> ConstPtr<T> {
        /// # Safety
        /// No `&mut` to the cell's value may exist while the reference lives.
        pub(super) unsafe fn deref(&self) -> &T {
            // SAFETY: the pointer comes from a live cell (the caller holds the cell through
            // its owner); the caller promises no unique access overlaps.
            unsafe { &*self.0 }
        }
    }

    impl<T> MutPtr<T> {
        /// # Safety
        /// No other reference to the cell's value may exist while the reference lives.
        #[allow(clippy::mut_from_ref)]
        pub(super) unsafe fn deref(&self) -> &mut T {
            // SAFETY: as for `ConstPtr::deref`, with no other access at all.
            unsafe { &mut *self.0 }
        }
    }
}
#[cfg(not(loom))]
use untracked::{ConstPtr, MutPtr, UnsafeCell};

/// A reader's epoch counter (L2), alone in its cache lines so that readers on different
/// cores do not slow each other down.
#[repr(align(128))]
struct Epoch(AtomicUsize);

/// What the writer lock guards: the readers to wait for before the back is touched (L4) and
/// the safe half's own state `W` (its operation log).
struct Writer<W> {
    /// Readers that were inside a read when the last publication happened, with the odd
    /// epoch each had then.
    waiting: Vec<(Arc<Epoch>, usize)>,
    state: W,
}

/// Two copies of a `V`, readers that never wait and one writer at a time.
pub(crate) struct LeftRight<V, W> {
    copies: [UnsafeCell<V>; 2],
    /// The index of the front copy (L1).
    front: AtomicUsize,
    /// Every registered reader's epoch.
    readers: Mutex<Vec<Arc<Epoch>>>,
    writer: Mutex<Writer<W>>,
}

// SAFETY: the copies are shared between reader threads (`&V` on several threads: `V: Sync`)
// and handed between writers and dropped on any thread (`V: Send`); the writer's state moves
// between the threads that take the lock (`W: Send`). The atomics, the mutexes and L1–L4
// keep every access to the copies free of data races.
unsafe impl<V: Send + Sync, W: Send> Sync for LeftRight<V, W> {}
// SAFETY: as above; the structure owns its copies and state.
unsafe impl<V: Send + Sync, W: Send> Send for LeftRight<V, W> {}

impl<V, W> LeftRight<V, W> {
    /// Two copies, `a` the front and `b` the back, which must be equal for the safe half.
    pub(crate) fn new(a: V, b: V, state: W) -> Arc<Self> {
        Arc::new(LeftRight {
            copies: [UnsafeCell::new(a), UnsafeCell::new(b)],
            front: AtomicUsize::new(0),
            readers: Mutex::new(Vec::new()),
            writer: Mutex::new(Writer { waiting: Vec::new(), state }),
        })
    }

    /// Locks the writer side, waiting for another writer to finish. A writer that panicked
    /// left the lock poisoned; the safe half's state says what was half done, so the lock is
    /// taken anyway.
    pub(crate) fn lock(&self) -> WriteLock<'_, V, W> {
        let guard = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        WriteLock { sides: self, guard }
    }

    fn registry(&self) -> MutexGuard<'_, Vec<Arc<Epoch>>> {
        self.readers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A registered reader of a [`LeftRight`]: not `Sync` (its nesting depth is a `Cell`), so one
/// thread at a time reads through it.
pub(crate) struct Reader<V, W> {
    sides: Arc<LeftRight<V, W>>,
    epoch: Arc<Epoch>,
    /// Open [`Entered`] guards of this reader.
    depth: Cell<usize>,
    /// The copy the outermost open guard entered (nested guards read the same one).
    side: Cell<usize>,
}

impl<V, W> Reader<V, W> {
    /// Registers a new reader (takes the registry's lock, never the writer's).
    pub(crate) fn new(sides: &Arc<LeftRight<V, W>>) -> Self {
        let epoch = Arc::new(Epoch(AtomicUsize::new(0)));
        sides.registry().push(Arc::clone(&epoch));
        Reader { sides: Arc::clone(sides), epoch, depth: Cell::new(0), side: Cell::new(0) }
    }

    /// The shared structure this reader reads.
    pub(crate) fn sides(&self) -> &Arc<LeftRight<V, W>> {
        &self.sides
    }

    /// Enters a read: announces this reader (L3), then loads the front. Never waits.
    pub(crate) fn enter(&self) -> Entered<'_, V, W> {
        let depth = self.depth.get();
        if depth == 0 {
            plant!('R' => return self.enter_loading_first());
            let epoch = self.epoch.0.load(Ordering::Relaxed);
            debug_assert!(epoch % 2 == 0, "L2: a reader outside any read has an even epoch");
            // Only this reader writes its epoch (L2), so a plain store is enough. Release, not
            // Relaxed: the writer waiting for this reader to leave its previous read may see
            // this entry's value rather than that exit's, and must still synchronise with
            // the exit (a later plain store is not part of the exit's release sequence).
            self.epoch.0.store(epoch.wrapping_add(1), Ordering::Release);
            // L3: the announcement is ordered before the load of `front` in the total order
            // of SeqCst fences (with the writer's fence in `publish`).
            fence(Ordering::SeqCst);
            self.side.set(self.sides.front.load(Ordering::Acquire));
        }
        self.depth.set(depth + 1);
        Entered { ptr: self.sides.copies[self.side.get()].get(), _exit: Exit(self) }
    }

    /// Planted bug R: loads the front before announcing this reader, so a publication in
    /// between neither makes it read the new front nor makes the writer wait for it.
    #[cfg(feature = "planted-bugs")]
    fn enter_loading_first(&self) -> Entered<'_, V, W> {
        self.side.set(self.sides.front.load(Ordering::Acquire));
        let epoch = self.epoch.0.load(Ordering::Relaxed);
        self.epoch.0.store(epoch.wrapping_add(1), Ordering::Release);
        fence(Ordering::SeqCst);
        self.depth.set(1);
        Entered { ptr: self.sides.copies[self.side.get()].get(), _exit: Exit(self) }
    }

    fn exit(&self) {
        let depth = self.depth.get() - 1;
        self.depth.set(depth);
        if depth == 0 {
            let epoch = self.epoch.0.load(Ordering::Relaxed);
            // Release: every read of the copy happens before a writer's Acquire load that
            // sees this store (and so before its next write to the copy).
            self.epoch.0.store(epoch.wrapping_add(1), Ordering::Release);
        }
    }
}

impl<V, W> Drop for Reader<V, W> {
    fn drop(&mut self) {
        // No guard can be open (they borrow the reader): the epoch is even, and a writer
        // that recorded it earlier has seen it change or will.
        self.sides.registry().retain(|e| !Arc::ptr_eq(e, &self.epoch));
    }
}

/// A read in progress: the copy it entered, which no writer changes while it lives.
pub(crate) struct Entered<'r, V, W> {
    /// Declared first, so dropped first: the access to the copy ends before the exit (under
    /// loom the pointer is the tracked access).
    ptr: ConstPtr<V>,
    _exit: Exit<'r, V, W>,
}

/// Leaves the read when dropped (after the [`Entered`] pointer is gone).
struct Exit<'r, V, W>(&'r Reader<V, W>);

impl<V, W> Drop for Exit<'_, V, W> {
    fn drop(&mut self) {
        self.0.exit();
    }
}

impl<V, W> Deref for Entered<'_, V, W> {
    type Target = V;

    fn deref(&self) -> &V {
        // SAFETY: the reader announced itself before loading the index of this copy and
        // stays announced while `self` lives (L3); the writer takes `&mut` only to the back
        // (L1) and to a former front only after every reader announced in it has left (L4).
        unsafe { self.ptr.deref() }
    }
}

/// The writer side, locked: the front to read, the back to change, publication.
pub(crate) struct WriteLock<'s, V, W> {
    sides: &'s LeftRight<V, W>,
    guard: MutexGuard<'s, Writer<W>>,
}

impl<V, W> WriteLock<'_, V, W> {
    /// The safe half's state.
    pub(crate) fn state(&mut self) -> &mut W {
        &mut self.guard.state
    }

    /// Runs `f` on the front copy, the back copy and the safe half's state, after waiting
    /// for every reader that may still be in the back (L4).
    pub(crate) fn with_back<R>(&mut self, f: impl FnOnce(&V, &mut V, &mut W) -> R) -> R {
        self.wait_for_readers();
        let front = self.sides.front.load(Ordering::Relaxed);
        let front_ptr = self.sides.copies[front].get();
        let back_ptr: MutPtr<V> = self.sides.copies[1 - front].get_mut();
        // SAFETY: the back: L1 (no other writer; readers enter only the front) and L4
        // (every reader that entered this copy while it was the front has left:
        // `wait_for_readers`). The front: never mutated while the writer lock is held (L1),
        // so sharing it with readers is sound. The two are different cells: no aliasing.
        let (front, back) = unsafe { (front_ptr.deref(), back_ptr.deref()) };
        f(front, back, &mut self.guard.state)
    }

    /// Makes the back the front (readers entering from now on read it) and records the
    /// readers still in the old front (L4). Does not wait for them: the next
    /// [`WriteLock::with_back`] does.
    pub(crate) fn publish(&mut self) {
        self.wait_for_readers();
        let back = 1 - self.sides.front.load(Ordering::Relaxed);
        // Release: the writes made to the back happen before a reader's Acquire load of the
        // new index (and so before its reads).
        self.sides.front.store(back, Ordering::Release);
        // L4: ordered with each reader's announcement fence (L3).
        fence(Ordering::SeqCst);
        let registry = self.sides.registry();
        for epoch in registry.iter() {
            let seen = epoch.0.load(Ordering::Acquire);
            if seen % 2 == 1 {
                self.guard.waiting.push((Arc::clone(epoch), seen));
            }
        }
    }

    /// Waits until every reader recorded by the last publication has left (its epoch moved
    /// on from the odd value recorded). Readers never wait for this; the writer may.
    fn wait_for_readers(&mut self) {
        plant!('I' => self.guard.waiting.clear());
        let waiting = &mut self.guard.waiting;
        while let Some((epoch, seen)) = waiting.last() {
            // Acquire: pairs with the reader's Release exit (its reads happen before ours).
            if epoch.0.load(Ordering::Acquire) == *seen {
                yield_now();
            } else {
                waiting.pop();
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The protocol on plain values, under Miri too (`cargo +nightly miri test -p maple-tree
    //! --lib shared`): the accesses Miri checks for aliasing and races.
    use super::*;
    use std::thread;

    fn pair(a: u32) -> Arc<LeftRight<u32, Vec<u32>>> {
        LeftRight::new(a, a, Vec::new())
    }

    #[test]
    fn a_reader_sees_the_front_until_publication() {
        let sides = pair(1);
        let reader = Reader::new(&sides);
        let mut w = sides.lock();
        w.with_back(|front, v, log| {
            assert_eq!(*front, 1);
            *v = 2;
            log.push(2);
        });
        assert_eq!(*reader.enter(), 1);
        assert_eq!(w.with_back(|front, _, _| *front), 1);
        w.publish();
        assert_eq!(*reader.enter(), 2);
        assert_eq!(w.with_back(|front, _, _| *front), 2);
        assert_eq!(w.state(), &[2]);
    }

    #[test]
    fn nested_guards_read_the_same_copy() {
        let sides = pair(1);
        let reader = Reader::new(&sides);
        let outer = reader.enter();
        let mut w = sides.lock();
        w.with_back(|_, v, _| *v = 2);
        w.publish();
        let inner = reader.enter();
        assert_eq!((*outer, *inner), (1, 1));
        drop(inner);
        assert_eq!(reader.epoch.0.load(Ordering::Relaxed) % 2, 1, "still inside the outer read");
        drop(outer);
        assert_eq!(reader.epoch.0.load(Ordering::Relaxed) % 2, 0);
        // The writer waits for nobody now: the old front is free.
        w.with_back(|_, v, _| *v = 2);
        assert_eq!(*reader.enter(), 2);
    }

    #[test]
    fn a_publication_records_the_readers_inside_and_a_dropped_reader_leaves_the_registry() {
        let sides = pair(0);
        let inside = Reader::new(&sides);
        let outside = Reader::new(&sides);
        let guard = inside.enter();
        let mut w = sides.lock();
        w.publish();
        assert_eq!(w.guard.waiting.len(), 1, "only the reader inside a read is waited for");
        drop(guard);
        w.with_back(|_, _, _| ());
        assert!(w.guard.waiting.is_empty());
        drop(w);
        drop(outside);
        assert_eq!(sides.registry().len(), 1);
        drop(inside);
        assert!(sides.registry().is_empty());
    }

    #[test]
    fn readers_on_threads_beside_a_writer() {
        let sides = pair(0);
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let reader = Reader::new(&sides);
                thread::spawn(move || {
                    let mut last = 0;
                    for _ in 0..50 {
                        let now = *reader.enter();
                        assert!(now >= last, "values only grow");
                        last = now;
                    }
                })
            })
            .collect();
        for i in 1..=20 {
            let mut w = sides.lock();
            w.with_back(|_, v, _| *v = i);
            w.publish();
            w.with_back(|_, v, _| *v = i);
        }
        for r in readers {
            r.join().unwrap();
        }
    }
}
