// OpenSSL (used by libpq, and by libjwt for tokens) stays initialised until
// the process ends, instead of freeing its state in an atexit handler.
//
// Why: threads may still be ending when main returns. CAF 0.17.6 counts a
// detached actor's thread as done (await_all_actors_done, ~actor_system)
// before that thread has returned and run its thread-local destructors. If
// OpenSSL's exit handler has run by then, it has deleted the thread-local
// key, so the thread's OpenSSL state (the per-thread random generators that
// libpq's SCRAM login draws its nonce from) is never freed: the
// LeakSanitizer report at a PostgreSQL server's exit, 7,678 bytes in 46
// allocations from CRYPTO_zalloc/CRYPTO_strndup, reproduced exactly by a
// thread that logs in with libpq and ends after the handler. Without the
// handler every thread frees its own state as it ends, and what OpenSSL
// holds at exit stays reachable from its globals.
//
// REQUIRES: called first thing in main(), before anything uses OpenSSL
// (the first initialisation decides whether the handler is installed).
#pragma once

namespace boxoffice {

// Throws std::runtime_error if OpenSSL cannot be initialised.
void keep_openssl_until_exit();

} // namespace boxoffice
