//! placeholder
pub struct Cursor;
pub struct CursorMut;
pub struct Prealloc;
pub enum Status {}
