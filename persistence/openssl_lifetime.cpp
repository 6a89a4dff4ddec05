#include "persistence/openssl_lifetime.h"

#include <openssl/crypto.h>

#include <stdexcept>

namespace boxoffice {

void keep_openssl_until_exit() {
  if (OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) != 1)
    throw std::runtime_error("OpenSSL could not be initialised");
}

} // namespace boxoffice
