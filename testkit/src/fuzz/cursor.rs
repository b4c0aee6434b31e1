//! The `cursor` target: sequences of cursor moves and writes through a [`CursorMut`] against
//! the [`CursorModel`], comparing the returned value, `index()`, `last()`, `status()` and
//! `current()` after every step; interleaved with whole-tree operations that reshape the
//! tree.
//!
//! The tree cannot be checked while a `CursorMut` borrows it, so a cursor lives for one
//! *session*: a run of steps that ends after each write that changed the tree. Then the tree
//! is compared with its model where the write landed (and in full on the schedule of
//! [`super::check`]), and a new cursor is put in exactly the state the old one had: a write
//! leaves it `Active` on the range written, which `set` + `walk` re-creates, or `Start` over
//! `0..=u64::MAX`, which `set_range` does. The model's slot list follows each write
//! ([`resync`]) rather than being rebuilt.

use super::{decode, failure, Key, Span, TreeOp, World};
use crate::cursor_model::{resync, CursorModel, Move, Slots};
use crate::oracle::RangeMap;
use arbitrary::Arbitrary;
use maple_tree::{CursorMut, Error, Status};

/// One step of the cursor target.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorOp {
    /// A read move with its limit (`max` forwards, `min` backwards).
    Move(Move, Key),
    /// `set(index)`.
    Set(Key),
    /// `set_range(first, last)`.
    SetRange(Span),
    /// `reset()`.
    Reset,
    /// `pause()`.
    Pause,
    /// `store` of a fresh value (`value`) or of NULL over `index()..=last()`.
    Store { value: bool },
    /// `erase()`.
    Erase,
    /// `preallocate`, then the reserved store (`commit`) or dropping the reservation.
    Preallocate { value: bool, commit: bool },
    /// A whole-tree operation; the cursor is then `set` at its old `index()`.
    Tree(TreeOp),
}

/// What a step did to the session.
enum Next {
    /// Keep the cursor.
    Continue,
    /// The tree changed over these keys: check it, then carry on with an equivalent cursor.
    Changed(u64, u64),
    /// Run this whole-tree operation, then start again from `set(index)`.
    Tree(TreeOp),
}

/// The model side of one session: the tree's model, its slots and the cursor's model.
struct Models<'w> {
    oracle: &'w mut RangeMap<u64>,
    next_value: &'w mut u64,
    slots: &'w mut Slots,
    cursor: CursorModel,
}

/// Runs the operations decoded from `data`.
pub fn run(data: &[u8]) -> Result<(), String> {
    let ops: Vec<CursorOp> = decode(data);
    let mut world = World::default();
    let mut slots = Slots::new();
    let mut cursor = CursorModel::new(0);
    let mut i = 0;
    while i < ops.len() {
        let mut next = Next::Continue;
        {
            let mut m = Models {
                slots: &mut slots,
                oracle: &mut world.model,
                next_value: &mut world.next_value,
                cursor: cursor.clone(),
            };
            let mut c = world.tree.cursor_mut(0);
            restore(&mut c, &m).map_err(|e| format!("before op {i}: {e}"))?;
            while i < ops.len() && matches!(next, Next::Continue) {
                next = step(&mut c, &mut m, ops[i]).map_err(|e| failure(&ops, i, &e))?;
                i += 1;
            }
            cursor = m.cursor;
        }
        match next {
            Next::Continue => {}
            Next::Changed(first, last) => world.check_write(first, last).map_err(|e| failure(&ops, i - 1, &e))?,
            Next::Tree(op) => {
                world.take_touched();
                world.apply(op).map_err(|e| failure(&ops, i - 1, &e))?;
                if let Some((first, last)) = world.take_touched() {
                    resync(&mut slots, &world.model, first, last);
                }
                if world.model.is_empty() {
                    slots.clear();
                }
                cursor = CursorModel::new(cursor.index);
            }
        }
    }
    world.check_full().map_err(|e| format!("at the end, after {} ops: {e}", ops.len()))
}

/// Puts a fresh cursor in the modelled state (`Start`, or `Active` on a slot).
fn restore(c: &mut CursorMut<'_, u64>, m: &Models<'_>) -> Result<(), String> {
    let model = &m.cursor;
    match model.status {
        Status::Start if model.pos.is_none() => c.set_range(model.index, model.last),
        Status::Active => {
            c.set(model.index);
            c.walk();
        }
        _ => return Err(format!("a session cannot start from {model:?}")),
    }
    compare(c, m)
}

/// Compares the cursor with its model.
fn compare(c: &CursorMut<'_, u64>, m: &Models<'_>) -> Result<(), String> {
    let got = (c.index(), c.last(), c.status(), c.current().copied());
    let want = (m.cursor.index, m.cursor.last, m.cursor.status, m.cursor.current(m.slots));
    if got != want {
        return Err(format!("cursor (index, last, status, current) = {got:x?}, model {want:x?}"));
    }
    Ok(())
}

/// One step on the cursor and on the models, compared afterwards.
fn step(c: &mut CursorMut<'_, u64>, m: &mut Models<'_>, op: CursorOp) -> Result<Next, String> {
    let next = match op {
        CursorOp::Move(mv, key) => {
            let limit = key.resolve(m.oracle);
            let got = match mv {
                Move::Walk => c.walk(),
                Move::Find => c.find(limit),
                Move::FindRange => c.find_range(limit),
                Move::FindRev => c.find_rev(limit),
                Move::FindRangeRev => c.find_range_rev(limit),
                Move::Next => c.next(limit),
                Move::NextRange => c.next_range(limit),
                Move::Prev => c.prev(limit),
                Move::PrevRange => c.prev_range(limit),
            }
            .copied();
            let want = m.cursor.read(m.slots, mv, limit);
            if got != want {
                return Err(format!("returned {got:?}, model {want:?}"));
            }
            Next::Continue
        }
        CursorOp::Set(key) => {
            let index = key.resolve(m.oracle);
            c.set(index);
            m.cursor = CursorModel::new(index);
            Next::Continue
        }
        CursorOp::SetRange(span) => {
            let (first, last) = span.resolve(m.oracle);
            c.set_range(first, last);
            m.cursor = CursorModel::set_range(first, last);
            Next::Continue
        }
        CursorOp::Reset => {
            c.reset();
            m.cursor.status = Status::Start;
            Next::Continue
        }
        CursorOp::Pause => {
            c.pause();
            m.cursor.status = Status::Pause;
            Next::Continue
        }
        CursorOp::Store { value } => {
            let entry = value.then(|| fresh(m));
            if entry.is_none() && m.slots.is_empty() {
                // A NULL store into an empty tree changes nothing.
                m.cursor.status = Status::None;
                expect_result(c.store(entry), Ok(None))?;
                Next::Continue
            } else {
                let got = c.store(entry);
                write(m, entry, got)?
            }
        }
        CursorOp::Erase => {
            let got = c.erase();
            if m.slots.is_empty() {
                m.cursor.status = Status::None;
                expect_result(got, Ok(None))?;
                Next::Continue
            } else {
                m.cursor.walk(m.slots);
                if m.cursor.current(m.slots).is_none() {
                    expect_result(got, Ok(None))?;
                    Next::Continue
                } else {
                    write(m, None, got)?
                }
            }
        }
        CursorOp::Preallocate { value, commit } => {
            let entry = value.then(|| fresh(m));
            match c.preallocate(entry) {
                Err(e) => write(m, entry, Err(e))?,
                Ok(reservation) if commit => {
                    let got = reservation.store();
                    write(m, entry, Ok(got))?
                }
                Ok(reservation) => {
                    drop(reservation);
                    if m.cursor.index > m.cursor.last {
                        return Err("preallocate accepted an empty range".into());
                    }
                    Next::Continue
                }
            }
        }
        CursorOp::Tree(op) => Next::Tree(op),
    };
    compare(c, m)?;
    Ok(next)
}

fn fresh(m: &mut Models<'_>) -> u64 {
    *m.next_value += 1;
    *m.next_value
}

fn expect_result(got: Result<Option<u64>, Error>, want: Result<Option<u64>, Error>) -> Result<(), String> {
    if got != want {
        return Err(format!("returned {got:?}, model {want:?}"));
    }
    Ok(())
}

/// The model side of a write of `entry` over the cursor's range, which returned `got`.
fn write(m: &mut Models<'_>, entry: Option<u64>, got: Result<Option<u64>, Error>) -> Result<Next, String> {
    let (first, last) = (m.cursor.index, m.cursor.last);
    if first > last {
        m.cursor.failed(Error::Invalid);
        expect_result(got, Err(Error::Invalid))?;
        return Ok(Next::Continue);
    }
    let old = m.oracle.get(first).map(|(_, v)| *v);
    expect_result(got, Ok(old))?;
    match entry {
        Some(v) => m.oracle.store(first, last, v),
        None => m.oracle.remove(first, last),
    }
    resync(m.slots, m.oracle, first, last);
    m.cursor.after_write(first, m.slots);
    Ok(Next::Changed(first, last))
}
