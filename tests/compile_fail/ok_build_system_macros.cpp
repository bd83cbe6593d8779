// Names a user's build commonly defines as macros do not break pyossl: -DVERSION=...
// (automake's config.h too) and -DPLATFORM=... must not hit a pyossl declaration, and
// <dirent.h>'s global DIR must stay unambiguous beside `using namespace pyossl::ssl`.
// compile flags: '-DVERSION="1.2.3"' -DPLATFORM=linux -DCFLAGS=1 -DBUILT_ON=1
#include <dirent.h>

#include <pyossl/pyossl.hpp>

using namespace pyossl::ssl;  // NOLINT: the point of the check

int main() {
  DIR* directory = opendir(".");
  if (directory != nullptr) closedir(directory);
  return SSLeay_version(SSLEAY_VERSION).empty() ? 1 : 0;
}
