//! `maple-vma`: a virtual memory area manager on the maple tree.
//!
//! This crate is a placeholder in the workspace until the VMA manager lands; see the
//! workspace README for the plan.
#![no_std]
