#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "signing/signing.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using carekeep::test::TempDir;

TEST_CASE("a new signing key is created with mode 0600 and reloads to the same key", "[signing]") {
  TempDir dir;
  auto first = signing::KeyPair::load_or_create(dir.path());
  REQUIRE(first);
  struct stat st {};
  REQUIRE(::stat((dir.path() / "signing.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto second = signing::KeyPair::load_or_create(dir.path());
  REQUIRE(second);
  CHECK(first->fingerprint() == second->fingerprint());
  CHECK(first->fingerprint().size() == 64);
  CHECK(first->public_key_pem().find("BEGIN PUBLIC KEY") != std::string::npos);
}

TEST_CASE("a signature verifies with the public key and fails after any change", "[signing]") {
  TempDir dir;
  auto key = signing::KeyPair::load_or_create(dir.path());
  REQUIRE(key);
  std::string message = "manifest bytes";
  auto sig = key->sign(signing::as_bytes(message));
  auto pub = signing::PublicKey::from_pem(key->public_key_pem());
  REQUIRE(pub);
  CHECK(pub->fingerprint() == key->fingerprint());
  CHECK(pub->verify(signing::as_bytes(message), sig));
  std::string altered = message;
  altered[0] = 'M';
  CHECK_FALSE(pub->verify(signing::as_bytes(altered), sig));
  auto bad_sig = sig;
  bad_sig[10] ^= 1;
  CHECK_FALSE(pub->verify(signing::as_bytes(message), bad_sig));
  auto hex = signing::to_hex(sig);
  auto back = signing::signature_from_hex(hex + "\n");
  REQUIRE(back);
  CHECK(*back == sig);
  TempDir other;
  auto other_key = signing::KeyPair::load_or_create(other.path());
  REQUIRE(other_key);
  auto other_pub = signing::PublicKey::from_pem(other_key->public_key_pem());
  REQUIRE(other_pub);
  CHECK_FALSE(other_pub->verify(signing::as_bytes(message), sig));
}

TEST_CASE("a key file readable by others is refused", "[signing]") {
  TempDir dir;
  REQUIRE(signing::KeyPair::load_or_create(dir.path()));
  ::chmod((dir.path() / "signing.key").c_str(), 0644);
  auto again = signing::KeyPair::load(dir.path() / "signing.key");
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("chmod 600") != std::string::npos);
}

TEST_CASE("garbage is not accepted as a public key", "[signing]") {
  CHECK_FALSE(signing::PublicKey::from_pem("not a key"));
  CHECK_FALSE(signing::signature_from_hex("abc"));
}
