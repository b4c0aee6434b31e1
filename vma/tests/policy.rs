//! User data: cloned on split, compared for merges by the default policy (equality) or by a
//! user's policy, which can veto merges Linux would do but never force one Linux refuses.

use maple_vma::{AddressSpace, Config, MapFlags, MergePolicy, Prot, Vma};

const P: u64 = 0x1000;
const FIXED: MapFlags = MapFlags::from_bits_retain(0x02 | 0x20 | 0x10);
const RW: Prot = Prot::from_bits_retain(3);

#[test]
fn data_is_cloned_on_split_and_compared_for_merges() {
    let mut mm: AddressSpace<&str> = AddressSpace::new(Config::default());
    mm.mmap_with(0x10 * P, 4 * P, RW, FIXED, None, "heap").unwrap();
    mm.mprotect(0x11 * P, P, Prot::READ).unwrap();
    assert!(mm.iter().all(|v| *v.data() == "heap"));
    // Equal data merges back; different data does not.
    mm.mprotect(0x11 * P, P, RW).unwrap();
    assert_eq!(mm.map_count(), 1);
    mm.mmap_with(0x14 * P, 4 * P, RW, FIXED, None, "jit").unwrap();
    assert_eq!(mm.map_count(), 2);
    mm.mmap_with(0x18 * P, 4 * P, RW, FIXED, None, "jit").unwrap();
    assert_eq!(
        mm.iter().map(|v| (v.range(), *v.data())).collect::<Vec<_>>(),
        [(0x10 * P..0x14 * P, "heap"), (0x14 * P..0x1c * P, "jit")]
    );
}

/// Keeps mappings of different tenants apart even where Linux would merge, and never merges
/// anything larger than 16 pages.
struct Tenants;

impl MergePolicy<u32> for Tenants {
    fn mergeable(&self, existing: &Vma<u32>, proposed: &Vma<u32>) -> bool {
        existing.data() == proposed.data() && existing.len() + proposed.len() <= 16 * P
    }
}

#[test]
fn a_policy_can_veto_merges() {
    let mut mm: AddressSpace<u32, Tenants> = AddressSpace::with_policy(Config::default(), Tenants);
    // Below mmap_min_addr: EPERM, as for a process without CAP_SYS_RAWIO.
    assert_eq!(mm.mmap_with(0, 8 * P, RW, FIXED, None, 1), Err(maple_vma::VmaError::Permission));
    let base = 0x100 * P;
    mm.mmap_with(base, 8 * P, RW, FIXED, None, 1).unwrap();
    mm.mmap_with(base + 8 * P, 8 * P, RW, FIXED, None, 1).unwrap();
    assert_eq!(mm.map_count(), 1);
    mm.mmap_with(base + 16 * P, 8 * P, RW, FIXED, None, 1).unwrap();
    assert_eq!(mm.map_count(), 2, "the policy caps merged VMAs at 16 pages");
    // Linux's rules still apply first: a different protection never merges.
    mm.mmap_with(base + 24 * P, P, Prot::READ, FIXED, None, 1).unwrap();
    assert_eq!(mm.map_count(), 3);
    mm.validate().unwrap();
}
