//! A test-only switch: `MILVUS_NATIVE_TEST_PANIC=<place>` makes the addon panic at that place
//! (`call`: an N-API entry point; `task`: a call's task on the runtime; `deliver`: converting a
//! completion in the threadsafe function's callback), so the tests can check that each panic
//! becomes a rejection and the process lives on. Read once, at the first check.

use std::sync::OnceLock;

pub fn panic_if(place: &str) {
    static PLACE: OnceLock<Option<String>> = OnceLock::new();
    let armed = PLACE.get_or_init(|| std::env::var("MILVUS_NATIVE_TEST_PANIC").ok());
    if armed.as_deref() == Some(place) {
        panic!("milvus-native: test panic at `{place}` (MILVUS_NATIVE_TEST_PANIC)");
    }
}
