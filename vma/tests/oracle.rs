//! Seeded differential test against the page-granular oracle of the test kit
//! (`maple_testkit::vma::oracle`): after every operation the address space must validate and
//! give every page the oracle's attributes, and no others.

use maple_testkit::vma::oracle;
use rand::rngs::SmallRng;
use rand::SeedableRng;

#[test]
fn differential_against_a_page_oracle() {
    let mut total = 0;
    for seed in 0..30 {
        let mut rng = SmallRng::seed_from_u64(seed);
        // Fixed placements only: the oracle predicts every address.
        total += oracle::run(&mut rng, 400, true, |_| true);
    }
    assert_eq!(total, 30 * 400);
    println!("{total} operations checked page by page");
}
