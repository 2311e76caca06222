#include <catch2/catch.hpp>

#include <cerrno>

#include "base/disk_fault.hpp"

using namespace carekeep;

TEST_CASE("disk faults are typed from the errno of the failing call", "[base][disk]") {
  CHECK(disk_fault_from_errno(0) == DiskFault::None);
  CHECK(disk_fault_from_errno(ENOSPC) == DiskFault::Full);
  CHECK(disk_fault_from_errno(EDQUOT) == DiskFault::Quota);
  CHECK(disk_fault_from_errno(EROFS) == DiskFault::ReadOnly);
  CHECK(disk_fault_from_errno(EIO) == DiskFault::IoError);
  CHECK(disk_fault_from_errno(EACCES) == DiskFault::Other);
  CHECK(out_of_space(DiskFault::Full));
  CHECK(out_of_space(DiskFault::Quota));
  CHECK_FALSE(out_of_space(DiskFault::ReadOnly));
  CHECK_FALSE(out_of_space(DiskFault::IoError));
  for (auto fault : {DiskFault::None, DiskFault::Full, DiskFault::Quota, DiskFault::ReadOnly, DiskFault::IoError,
                     DiskFault::Other}) {
    INFO(to_string(fault));
    CHECK(parse_disk_fault(to_string(fault)) == fault);
  }
  CHECK_FALSE(parse_disk_fault("No space left on device"));
}
