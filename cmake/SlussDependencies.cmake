# Finds every third-party dependency once, from Debian 12's packages.
# See docs/BUILDING.md for how each one is found and the pitfalls met.

# gRPC ships a CMake config; it pulls in absl, protobuf (via FindProtobuf), c-ares, re2.
# "Could NOT find c-ares" printed by its config is harmless: it finds it right after.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
if(SLUSS_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

# libsodium ships no CMake config: pkg-config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
