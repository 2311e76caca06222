// signing/trust (issue 15): which key verify may trust. Real key files in a temp dir.
#include <catch2/catch.hpp>

#include <cctype>

#include "signing/signing.hpp"
#include "signing/trust.hpp"
#include "support/temp_dir.hpp"

using namespace carekeep;
using carekeep::test::TempDir;

namespace {

signing::PublicKey public_of(const signing::KeyPair& key) { return signing::PublicKey::from_pem(key.public_key_pem()).value(); }

}  // namespace

TEST_CASE("a key is trusted only when given or pinned from outside the box", "[signing]") {
  TempDir dir;
  for (const char* sub : {"box", "forged", "etc"}) std::filesystem::create_directories(dir / sub);
  bool created = false;
  auto box = signing::KeyPair::load_or_create(dir / "box", &created).value();
  CHECK(created);
  (void)signing::KeyPair::load_or_create(dir / "box", &created).value();
  CHECK_FALSE(created);  // loaded, not created: nothing to pin
  auto forged = signing::KeyPair::load_or_create(dir / "forged").value();
  const auto pin = dir / "etc" / signing::kFingerprintFileName;
  std::filesystem::create_directories(pin.parent_path());

  SECTION("nothing given, nothing pinned: the key beside the data, untrusted") {
    auto choice = signing::choose_key(std::nullopt, std::nullopt, pin, public_of(box)).value();
    CHECK(choice.trust == signing::KeyTrust::Unpinned);
    CHECK_FALSE(choice.trusted());
    REQUIRE(choice.key);
  }
  SECTION("pinned at creation, then matched") {
    REQUIRE(signing::pin_fingerprint(pin, box.fingerprint()));
    CHECK(signing::pin_fingerprint(pin, box.fingerprint()));  // the same pin again: fine
    CHECK_FALSE(signing::pin_fingerprint(pin, forged.fingerprint()));  // never overwritten
    CHECK(signing::read_pinned_fingerprint(pin).value() == box.fingerprint());
    auto choice = signing::choose_key(std::nullopt, std::nullopt, pin, public_of(box)).value();
    CHECK(choice.trust == signing::KeyTrust::Pinned);
    CHECK(choice.trusted());
    auto replaced = signing::choose_key(std::nullopt, std::nullopt, pin, public_of(forged)).value();
    CHECK(replaced.trust == signing::KeyTrust::Mismatch);
    CHECK_FALSE(replaced.key);
    CHECK(replaced.detail.find("it was replaced") != std::string::npos);
  }
  SECTION("--fingerprint, in either case, names the key beside the data") {
    std::string upper = box.fingerprint();
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(signing::choose_key(std::nullopt, upper, pin, public_of(box)).value().trust == signing::KeyTrust::Given);
    CHECK(signing::choose_key(std::nullopt, box.fingerprint(), pin, public_of(forged)).value().trust ==
          signing::KeyTrust::Mismatch);
    CHECK(signing::choose_key(std::nullopt, std::string("abc"), pin, public_of(box)).error().kind ==
          ErrorKind::InvalidArgument);
  }
  SECTION("--pubkey wins over the key beside the data, and must agree with --fingerprint") {
    auto choice = signing::choose_key(box.public_key_pem(), std::nullopt, pin, public_of(forged)).value();
    CHECK(choice.trust == signing::KeyTrust::Given);
    CHECK(choice.key->fingerprint() == box.fingerprint());
    CHECK_FALSE(signing::choose_key(box.public_key_pem(), forged.fingerprint(), pin, std::nullopt));
  }
}
