#include <catch2/catch.hpp>

#include "base/mounts.hpp"

using namespace carekeep;

namespace {

// As the kernel writes them: the footage disk as the host sees it, the same disk inside
// carekeepd.service without ReadWritePaths= for it (ProtectSystem=strict: a read-only bind
// mount over a read-write file system), and a disk ext4 remounted read-only after errors.
constexpr const char* kMountinfo =
    "22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"
    "30 22 8:1 / /srv/footage rw,relatime shared:7 - ext4 /dev/sda1 rw,errors=remount-ro\n"
    "41 22 8:17 / /mnt/disk1 ro,nosuid,nodev,relatime shared:9 - ext4 /dev/sdb1 rw\n"
    "42 22 8:33 / /mnt/disk2 ro,relatime shared:10 - ext4 /dev/sdc1 ro,errors=remount-ro\n";

}  // namespace

TEST_CASE("find_mount reads a mount's own read-only flag apart from its file system's", "[base][sandbox]") {
  auto rw = mounts::find_mount(kMountinfo, "/srv/footage/media");
  REQUIRE(rw);
  CHECK(rw->mount_point == "/srv/footage");
  CHECK_FALSE(rw->read_only);
  CHECK_FALSE(rw->fs_read_only);  // "errors=remount-ro" is not "ro"

  auto sandboxed = mounts::find_mount(kMountinfo, "/mnt/disk1/media");
  REQUIRE(sandboxed);
  CHECK(sandboxed->read_only);
  CHECK_FALSE(sandboxed->fs_read_only);
  CHECK(sandboxed->source == "/dev/sdb1");

  auto failed = mounts::find_mount(kMountinfo, "/mnt/disk2");
  REQUIRE(failed);
  CHECK(failed->read_only);
  CHECK(failed->fs_read_only);
}
