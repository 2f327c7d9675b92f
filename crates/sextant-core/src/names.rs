//! Readable generated run names, `adjective-noun-NNN`.

const ADJECTIVES: &[&str] = &[
    "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring", "eager",
    "fancy", "fierce", "gentle", "golden", "happy", "hidden", "jolly", "keen", "lively", "lucky",
    "mellow", "misty", "noble", "polar", "proud", "quiet", "rapid", "rustic", "serene", "silent",
    "sleek", "snowy", "solar", "steady", "stellar", "swift", "tidy", "vivid", "wild", "witty",
];

const NOUNS: &[&str] = &[
    "albatross",
    "badger",
    "beacon",
    "comet",
    "condor",
    "coral",
    "delta",
    "ember",
    "falcon",
    "fjord",
    "galaxy",
    "glacier",
    "harbor",
    "heron",
    "horizon",
    "island",
    "lagoon",
    "lantern",
    "meadow",
    "meteor",
    "nebula",
    "orbit",
    "otter",
    "pebble",
    "phoenix",
    "pine",
    "prairie",
    "quasar",
    "raven",
    "reef",
    "river",
    "sextant",
    "sparrow",
    "summit",
    "tundra",
    "valley",
    "voyager",
    "willow",
    "zenith",
    "zephyr",
];

/// A name from 128 random bits: 40 × 40 × 1000 combinations.
pub fn generate(random: u128) -> String {
    let a = ADJECTIVES[(random % ADJECTIVES.len() as u128) as usize];
    let rest = random >> 16;
    let n = NOUNS[(rest % NOUNS.len() as u128) as usize];
    let num = (random >> 32) % 1000;
    format!("{a}-{n}-{num:03}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn has_the_documented_shape() {
        for seed in [0u128, 1, u128::MAX, 0xdead_beef_1234_5678_9abc] {
            let name = super::generate(seed);
            let parts: Vec<&str> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert_eq!(parts[2].len(), 3, "{name}");
            assert!(parts[2].chars().all(|c| c.is_ascii_digit()), "{name}");
        }
        assert_ne!(super::generate(1), super::generate(2));
    }
}
